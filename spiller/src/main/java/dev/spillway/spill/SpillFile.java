package dev.spillway.spill;

import java.nio.file.Path;

/**
 * A finished spill file: its path, size and block index, ready to be read back.
 *
 * @param path       the file
 * @param byteSize   its size in bytes
 * @param blocks     number of blocks
 * @param rawBytes   raw column bytes it holds
 */
public record SpillFile(Path path, long byteSize, int blocks, long rawBytes) {
}
