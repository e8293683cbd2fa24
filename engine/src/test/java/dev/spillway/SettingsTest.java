package dev.spillway;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings from system properties and environment variables: the builder wins over the property,
 * the property over the variable, the variable over the default; a value that does not parse names
 * its source, itself and what is valid. The property and environment maps are injected.
 */
class SettingsTest {
    private static SpillwayConfig resolve(Spillway.Builder b, Map<String, String> properties, Map<String, String> env) {
        return b.resolve(new Settings(properties, env));
    }

    private static SpillwayConfig resolve(Map<String, String> properties, Map<String, String> env) {
        return resolve(Spillway.builder(), properties, env);
    }

    @Test
    void namesFollowTheBuilderMethods() {
        assertEquals("spillway.memoryLimit", Settings.property("memoryLimit"));
        assertEquals("SPILLWAY_MEMORY_LIMIT", Settings.envVariable("memoryLimit"));
        assertEquals("SPILLWAY_SORT_FAN_IN", Settings.envVariable("sortFanIn"));
        assertEquals("SPILLWAY_THREADS", Settings.envVariable("threads"));
    }

    @Test
    void builderBeatsPropertyBeatsEnvironmentBeatsDefault() {
        Map<String, String> env = Map.of("SPILLWAY_THREADS", "3", "SPILLWAY_MEMORY_LIMIT", "64m");
        Map<String, String> props = Map.of("spillway.threads", "5");
        assertEquals(7, resolve(Spillway.builder().threads(7), props, env).threads());
        assertEquals(5, resolve(props, env).threads());
        assertEquals(3, resolve(Map.of(), env).threads());
        assertEquals(Runtime.getRuntime().availableProcessors(), resolve(Map.of(), Map.of()).threads());
        // Each setting is looked up on its own: the property for one does not hide the variable of another.
        assertEquals(64L << 20, resolve(props, env).memoryLimit());
        // A blank property counts as unset.
        assertEquals(3, resolve(Map.of("spillway.threads", " "), env).threads());
    }

    @Test
    void everySettingIsReadFromTheEnvironment() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("SPILLWAY_MEMORY_LIMIT", "512m"),
                Map.entry("SPILLWAY_TEMP_DIR", "/var/tmp/spill"),
                Map.entry("SPILLWAY_THREADS", "2"),
                Map.entry("SPILLWAY_VERBOSE", "on"),
                Map.entry("SPILLWAY_PIN_THREADS", "true"),
                Map.entry("SPILLWAY_MORSEL_ROWS", "65_536"),
                Map.entry("SPILLWAY_FORCE_SPILL", "0.25"),
                Map.entry("SPILLWAY_SPILL_ENCRYPTION", "yes"),
                Map.entry("SPILLWAY_SORT_FAN_IN", "16"),
                Map.entry("SPILLWAY_CLOSE_TIMEOUT", "2m"),
                Map.entry("SPILLWAY_MEMORY_WAIT", "PT0.5S"),
                Map.entry("SPILLWAY_RETRY_ALONE", "0"));
        SpillwayConfig c = resolve(Map.of(), env);
        assertEquals(512L << 20, c.memoryLimit());
        assertEquals(Path.of("/var/tmp/spill"), c.tempDir());
        assertEquals(2, c.threads());
        assertTrue(c.verbose());
        assertTrue(c.pinThreads());
        assertEquals(65_536, c.morselRows());
        assertEquals(0.25, c.forceSpill());
        assertTrue(c.spillEncryption());
        assertEquals(16, c.sortFanIn());
        assertEquals(Duration.ofMinutes(2), c.closeTimeout());
        assertEquals(Duration.ofMillis(500), c.memoryWait());
        assertFalse(c.retryAlone());
    }

    @Test
    void everySettingIsReadFromSystemProperties() {
        Map<String, String> props = Map.ofEntries(
                Map.entry("spillway.memoryLimit", "1g"),
                Map.entry("spillway.tempDir", "/var/tmp/other"),
                Map.entry("spillway.threads", "4"),
                Map.entry("spillway.verbose", "false"),
                Map.entry("spillway.pinThreads", "off"),
                Map.entry("spillway.morselRows", "4096"),
                Map.entry("spillway.forceSpill", "1"),
                Map.entry("spillway.spillEncryption", "no"),
                Map.entry("spillway.sortFanIn", "2"),
                Map.entry("spillway.closeTimeout", "500ms"),
                Map.entry("spillway.memoryWait", "0s"),
                Map.entry("spillway.retryAlone", "TRUE"));
        Map<String, String> env = Map.of("SPILLWAY_VERBOSE", "1", "SPILLWAY_SPILL_ENCRYPTION", "1", "SPILLWAY_RETRY_ALONE", "0");
        SpillwayConfig c = resolve(props, env);
        assertEquals(1L << 30, c.memoryLimit());
        assertEquals(Path.of("/var/tmp/other"), c.tempDir());
        assertEquals(4, c.threads());
        assertFalse(c.verbose());
        assertFalse(c.pinThreads());
        assertEquals(4096, c.morselRows());
        assertEquals(1.0, c.forceSpill());
        assertFalse(c.spillEncryption());
        assertEquals(2, c.sortFanIn());
        assertEquals(Duration.ofMillis(500), c.closeTimeout());
        assertEquals(Duration.ZERO, c.memoryWait());
        assertTrue(c.retryAlone());
    }

    @Test
    void defaultsWhenNothingIsSet() {
        SpillwayConfig c = resolve(Map.of(), Map.of());
        assertEquals(SpillwayConfig.defaultMemoryLimit(), c.memoryLimit());
        assertNull(c.tempDir());
        assertFalse(c.verbose());
        assertFalse(c.pinThreads());
        assertEquals(0.0, c.forceSpill());
        assertFalse(c.spillEncryption());
        assertEquals(64, c.sortFanIn());
        assertEquals(Spillway.DEFAULT_CLOSE_TIMEOUT, c.closeTimeout());
        assertEquals(Duration.ofSeconds(5), c.memoryWait());
        assertTrue(c.retryAlone());
    }

    @Test
    void anInvalidValueNamesItsSourceItsValueAndWhatIsValid() {
        assertError(Map.of(), Map.of("SPILLWAY_THREADS", "many"),
                "environment variable SPILLWAY_THREADS='many' is not valid: it must be a whole number from 1 to 1024");
        assertError(Map.of(), Map.of("SPILLWAY_THREADS", "0"),
                "environment variable SPILLWAY_THREADS='0' is not valid: it must be a whole number from 1 to 1024");
        assertError(Map.of("spillway.memoryLimit", "lots"), Map.of(),
                "system property spillway.memoryLimit='lots' is not valid: it must be a size such as 512m or 2g, at least 4.0 MiB");
        assertError(Map.of("spillway.memoryLimit", "1m"), Map.of(),
                "system property spillway.memoryLimit='1m' is not valid: it must be a size such as 512m or 2g, at least 4.0 MiB");
        assertError(Map.of(), Map.of("SPILLWAY_FORCE_SPILL", "2"),
                "environment variable SPILLWAY_FORCE_SPILL='2' is not valid: it must be a number from 0 to 1");
        assertError(Map.of(), Map.of("SPILLWAY_VERBOSE", "loud"),
                "environment variable SPILLWAY_VERBOSE='loud' is not valid: it must be a switch: 1/true/yes/on or 0/false/no/off");
        assertError(Map.of(), Map.of("SPILLWAY_SORT_FAN_IN", "1"),
                "environment variable SPILLWAY_SORT_FAN_IN='1' is not valid: it must be a whole number of at least 2");
        assertError(Map.of("spillway.closeTimeout", "30"), Map.of(),
                "system property spillway.closeTimeout='30' is not valid: it must be a duration of zero or more such as 500ms, 30s, 2m, 1h or PT30S");
        assertError(Map.of(), Map.of("SPILLWAY_MEMORY_WAIT", "PT-1S"),
                "environment variable SPILLWAY_MEMORY_WAIT='PT-1S' is not valid: it must be a duration of zero or more");
        // The property is read first, so its error wins even when the variable is fine.
        assertError(Map.of("spillway.threads", "x"), Map.of("SPILLWAY_THREADS", "2"), "system property spillway.threads='x'");
    }

    @Test
    void aBuilderValueHidesAnInvalidVariable() {
        assertEquals(2, resolve(Spillway.builder().threads(2), Map.of(), Map.of("SPILLWAY_THREADS", "many")).threads());
    }

    private static void assertError(Map<String, String> props, Map<String, String> env, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(props, env));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
