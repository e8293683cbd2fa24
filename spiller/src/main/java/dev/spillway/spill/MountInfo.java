package dev.spillway.spill;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which file system a path lives on, from {@code /proc/self/mountinfo} (Linux). Used to warn when
 * spills would go to {@code tmpfs}, i.e. back into RAM.
 */
public final class MountInfo {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    private MountInfo() {
    }

    /** The file-system type of {@code path} ("ext4", "tmpfs", ...), or null when unknown. */
    public static String fileSystemType(Path path) {
        if (!Files.isReadable(MOUNTINFO)) {
            return null;
        }
        try {
            return fileSystemType(Files.readAllLines(MOUNTINFO), path.toRealPath().toString());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * The file-system type of the mount with the longest mount point that contains
     * {@code absolutePath}, given mountinfo lines; null when no line applies.
     *
     * <p>Line format (proc(5)): {@code id parent major:minor root mountpoint options [optional...] - fstype source superoptions};
     * mount points escape spaces as {@code \040}.
     */
    public static String fileSystemType(List<String> mountinfoLines, String absolutePath) {
        String bestType = null;
        int bestLength = -1;
        for (String line : mountinfoLines) {
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 5 || dash < 0 || dash + 1 >= f.length) {
                continue;
            }
            String mountPoint = unescape(f[4]);
            if (contains(mountPoint, absolutePath) && mountPoint.length() > bestLength) {
                bestLength = mountPoint.length();
                bestType = f[dash + 1];
            }
        }
        return bestType;
    }

    private static boolean contains(String mountPoint, String path) {
        if (mountPoint.equals("/")) {
            return path.startsWith("/");
        }
        return path.equals(mountPoint) || path.startsWith(mountPoint + "/");
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }
}
