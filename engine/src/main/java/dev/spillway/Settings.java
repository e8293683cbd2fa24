package dev.spillway;

import dev.spillway.memory.Bytes;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

/**
 * Where the settings of a {@link Spillway.Builder} come from when the builder was not given them:
 * the system property {@code spillway.<builder method>} ({@code -Dspillway.memoryLimit=2g}), else
 * the environment variable {@code SPILLWAY_<BUILDER METHOD>} in upper snake case
 * ({@code SPILLWAY_MEMORY_LIMIT=2g}), else the default. One lookup serves every setting, so the
 * precedence and the error for a value that does not parse are the same for all of them; the
 * error names the property or variable, the value and what is valid.
 *
 * <p>Both sources are plain maps so that tests inject them instead of starting a JVM.
 */
final class Settings {
    /** The prefix of the system properties. */
    static final String PROPERTY_PREFIX = "spillway.";
    /** The prefix of the environment variables. */
    static final String ENV_PREFIX = "SPILLWAY_";

    private final Map<String, String> properties;
    private final Map<String, String> env;

    Settings(Map<String, String> properties, Map<String, String> env) {
        this.properties = properties;
        this.env = env;
    }

    /** The process's system properties (a snapshot of the {@code spillway.*} ones) and environment. */
    static Settings system() {
        Properties all = System.getProperties();
        Map<String, String> own = new HashMap<>();
        for (String name : all.stringPropertyNames()) {
            if (name.startsWith(PROPERTY_PREFIX)) {
                own.put(name, all.getProperty(name));
            }
        }
        return new Settings(own, System.getenv());
    }

    /** The system property of a builder method: {@code memoryLimit} is {@code spillway.memoryLimit}. */
    static String property(String setting) {
        return PROPERTY_PREFIX + setting;
    }

    /** The environment variable of a builder method: {@code memoryLimit} is {@code SPILLWAY_MEMORY_LIMIT}. */
    static String envVariable(String setting) {
        StringBuilder sb = new StringBuilder(ENV_PREFIX);
        for (int i = 0; i < setting.length(); i++) {
            char c = setting.charAt(i);
            if (Character.isUpperCase(c)) {
                sb.append('_');
            }
            sb.append(Character.toUpperCase(c));
        }
        return sb.toString();
    }

    /**
     * The value of a setting: {@code given} when not null, else the system property, else the
     * environment variable, else {@code fallback}. A blank property or variable counts as unset.
     *
     * @param parse turns the text into a value, throwing {@link IllegalArgumentException} with
     *              what is valid (e.g. "a whole number from 1 to 1024") when it cannot
     * @throws IllegalArgumentException naming the property or variable, its value and what is valid
     */
    <T> T get(T given, String setting, Function<String, T> parse, T fallback) {
        if (given != null) {
            return given;
        }
        String name = property(setting);
        String text = properties.get(name);
        String source = "system property ";
        if (text == null || text.isBlank()) {
            name = envVariable(setting);
            text = env.get(name);
            source = "environment variable ";
        }
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return parse.apply(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + name + "='" + text + "' is not valid: it must be " + e.getMessage(), e);
        }
    }

    // ---- parsers: each throws IllegalArgumentException whose message says what is valid ----

    /** A size such as {@code 512m} or {@code 2g}, at least {@code min} bytes. */
    static Function<String, Long> size(long min) {
        String valid = "a size such as 512m or 2g, at least " + Bytes.format(min);
        return s -> {
            long v;
            try {
                v = Bytes.parse(s);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(valid, e);
            }
            if (v < min) {
                throw new IllegalArgumentException(valid);
            }
            return v;
        };
    }

    /** A whole number from {@code min} to {@code max}; {@code _} and {@code ,} may group digits. */
    static Function<String, Integer> count(int min, int max) {
        String valid = max == Integer.MAX_VALUE ? "a whole number of at least " + min
                : "a whole number from " + min + " to " + max;
        return s -> {
            long v;
            try {
                v = Long.parseLong(s.replace("_", "").replace(",", ""));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(valid, e);
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException(valid);
            }
            return (int) v;
        };
    }

    /** A number from 0 to 1. */
    static Function<String, Double> fraction() {
        String valid = "a number from 0 to 1";
        return s -> {
            double v;
            try {
                v = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(valid, e);
            }
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException(valid);
            }
            return v;
        };
    }

    /**
     * A switch: {@code 1/true/yes/on} or {@code 0/false/no/off}, any case. Anything else is an
     * error rather than "off", since some switches (spill encryption) guard security.
     */
    static Function<String, Boolean> onOff() {
        return s -> switch (s.toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "on" -> true;
            case "0", "false", "no", "off" -> false;
            default -> throw new IllegalArgumentException("a switch: 1/true/yes/on or 0/false/no/off");
        };
    }

    /**
     * A duration of zero or more: a number with a unit ({@code 500ms}, {@code 30s}, {@code 2m},
     * {@code 1h}) or ISO-8601 ({@code PT30S}).
     */
    static Function<String, Duration> duration() {
        String valid = "a duration of zero or more such as 500ms, 30s, 2m, 1h or PT30S";
        return s -> {
            Duration d;
            try {
                d = parseDuration(s.toLowerCase(Locale.ROOT));
            } catch (ArithmeticException | DateTimeParseException | NumberFormatException e) {
                throw new IllegalArgumentException(valid, e);
            }
            if (d == null || d.isNegative()) {
                throw new IllegalArgumentException(valid);
            }
            return d;
        };
    }

    private static Duration parseDuration(String s) {
        if (s.startsWith("p")) {
            return Duration.parse(s.toUpperCase(Locale.ROOT));
        }
        int unit = 0;
        while (unit < s.length() && (Character.isDigit(s.charAt(unit)) || s.charAt(unit) == '_')) {
            unit++;
        }
        if (unit == 0) {
            return null;
        }
        long n = Long.parseLong(s.substring(0, unit).replace("_", ""));
        return switch (s.substring(unit).trim()) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> null;
        };
    }

    /** A directory path. */
    static Function<String, Path> path() {
        return s -> {
            try {
                return Path.of(s);
            } catch (InvalidPathException e) {
                throw new IllegalArgumentException("a directory path (" + e.getReason() + ")", e);
            }
        };
    }
}
