package dev.spillway.memory;

/**
 * Left padding of {@link PaddedCounter}: keeps the counter off the cache line of whatever the
 * allocator places before it.
 */
abstract class PaddedCounterLhs {
    long p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15, p16;
}
