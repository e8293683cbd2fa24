package dev.spillway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory as the OS counts it (Linux {@code /proc/self/status}): what a
 * container's memory limit and an operator's dashboard see, as opposed to the engine's budget.
 * Anonymous memory is the heap, the native memory of the block pool and everything else the JVM
 * allocates; file-backed memory is the resident pages of mapped files (inputs, spill files, the
 * JVM's own code). All zero where the file does not exist.
 *
 * @param rssBytes     resident set size ({@code VmRSS})
 * @param anonBytes    anonymous resident memory ({@code RssAnon})
 * @param fileBytes    file-backed resident memory ({@code RssFile} plus {@code RssShmem})
 * @param hwmBytes     the process's peak resident set size since it started ({@code VmHWM})
 */
public record ProcessMemory(long rssBytes, long anonBytes, long fileBytes, long hwmBytes) {
    private static final Path STATUS = Path.of("/proc/self/status");
    private static final boolean AVAILABLE = Files.isReadable(STATUS);
    /** All zero: nothing known. */
    public static final ProcessMemory UNKNOWN = new ProcessMemory(0, 0, 0, 0);

    /** Reads the current figures (a few microseconds); {@link #UNKNOWN} when the OS does not say. */
    public static ProcessMemory read() {
        if (!AVAILABLE) {
            return UNKNOWN;
        }
        String text;
        try {
            text = new String(Files.readAllBytes(STATUS), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return UNKNOWN;
        }
        return new ProcessMemory(kib(text, "VmRSS:"), kib(text, "RssAnon:"),
                kib(text, "RssFile:") + kib(text, "RssShmem:"), kib(text, "VmHWM:"));
    }

    /** The value in bytes of the line starting with {@code key} ("VmRSS:   1748 kB"), or 0. */
    private static long kib(String text, String key) {
        int at = text.indexOf(key);
        if (at < 0) {
            return 0;
        }
        long v = 0;
        boolean digits = false;
        for (int i = at + key.length(); i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                v = v * 10 + (c - '0');
                digits = true;
            } else if (digits || c == '\n') {
                break;
            }
        }
        return v * 1024;
    }

    /** The larger of each figure of this and {@code other}. */
    public ProcessMemory max(ProcessMemory other) {
        return new ProcessMemory(Math.max(rssBytes, other.rssBytes), Math.max(anonBytes, other.anonBytes),
                Math.max(fileBytes, other.fileBytes), Math.max(hwmBytes, other.hwmBytes));
    }
}
