/**
 * Service interfaces that other Spillway modules plug into the engine through
 * {@link java.util.ServiceLoader}; not for applications.
 */
package dev.spillway.spi;
