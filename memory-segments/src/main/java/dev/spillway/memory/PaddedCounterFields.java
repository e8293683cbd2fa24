package dev.spillway.memory;

/** The counter fields themselves, between two blocks of padding. */
abstract class PaddedCounterFields extends PaddedCounterLhs {
    volatile long value;
    volatile long peak;
}
