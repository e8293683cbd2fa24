/**
 * Spill files: partitions of operator state written to disk under memory pressure and read back
 * for the merge phase.
 *
 * <h2>Layout</h2>
 * All integers little-endian; constants in {@link dev.spillway.spill.SpillFormat}.
 * <pre>
 * file    := header block* index trailer
 * header  := magic "SPILLWY1" (8) | version (4) | chunkBytes (4)
 * block   := blockHeader columnDescriptor* chunk*
 *   blockHeader (32) := magic "BLK1" | partition | rows | columns | metaLength | metaCrc32c | payloadLength (8)
 *   columnDescriptor := type (1) | reserved (1) | bufferCount (2) | nullCount (4)
 *                       then per Arrow buffer: rawLength (8) | chunkCount (4) | reserved (4)
 *   chunk            := codec (1) | flags (1) | reserved (2) | rawLength (4) | storedLength (4) | crc32c (4) | stored bytes
 *                       (flags = AES_GCM: stored bytes = nonce (12) | ciphertext | tag (16), crc32c = 0)
 * index   := per block: offset (8) | partition (4) | rows (4)
 * trailer := indexOffset (8) | blockCount (8) | indexCrc32c (4) | reserved (4) | end magic "SPILLEND" (8)
 * </pre>
 * A block is one morsel's Arrow buffers in normalized form (validity, values or offsets, data).
 * Each buffer is cut into chunks of at most {@code chunkBytes} so that the compression scratch of
 * a query is one fixed buffer, charged to its budget before any pressure arises (spilling must
 * not need memory it cannot get). The chunk size is a sixteenth of the query's cap, from 64 KiB
 * to 1 MiB, so a small cap does not spend a third of itself on the scratch; the reader takes it
 * from the header. A chunk is LZ4-compressed, or stored raw when compression saves less than
 * 1/16. The meta CRC covers the block header and descriptors, so no length read from a damaged
 * header is ever used; each chunk's CRC covers its descriptor and stored bytes. With encryption on
 * ({@link dev.spillway.spill.SpillConfig#encrypt()}), a chunk's compressed bytes are sealed with
 * AES-256-GCM under its query's in-memory key ({@code SpillCipher}) and the tag is the chunk's
 * check.
 *
 * <h2>Partitions</h2>
 * Every block carries a partition tag and the index lists them, so one file may hold several
 * partitions. Operators keep their spillable state in a {@link dev.spillway.spill.RowStore}: a
 * {@link dev.spillway.spill.PartitionedStore} of 2<sup>bits</sup> hash partitions (rows scattered
 * by a counting sort on the hash bits after the top {@code shift}, so a re-partitioned child uses
 * the next bits) or a {@link dev.spillway.spill.StreamStore} of ordered streams (sort runs, the
 * nested-loop join's build blocks, one stream each, and the merge join's key runs, one stream
 * restarted per run, and the multiplexer's backlogs, one stream per consumer; a stream is read
 * once by {@code poll}, which lets go of each file once it polled its blocks there, or, by index,
 * any number of times). A morsel may be added to several streams as shared views
 * ({@link dev.spillway.spill.StreamStore#addShared}): it counts once as spillable, and an
 * eviction reports as freed only the views whose last hold it dropped. A store may keep an
 * evicted stream's later morsels in memory
 * ({@link dev.spillway.spill.StoreBuilder#keepAddingInMemory}) instead of writing them through.
 * An owner learns of each eviction through {@link dev.spillway.spill.StoreBuilder#onEvict}, and of
 * all evictions of one request together through {@link dev.spillway.spill.StoreBuilder#onSpill},
 * and emits its own event from them. Each unit holds column-wise chunks sealed at
 * {@link dev.spillway.spill.RowStore#sealBytes(long)}; the store is the operator's
 * {@link dev.spillway.memory.Spillable} with one victim policy (largest evictable unit first,
 * try-locks only, the caller's own locked unit keeps its open chunk, pinned and taken units stay),
 * writes evicted units' later chunks straight through, and has one forced-spill setting (a share
 * of its units). All units of a store write into one file at a time (rolled past a size), blocks
 * tagged with the unit; the store keeps each unit's (file, block) list in memory, so a file is
 * read while it still grows: the written prefix is mapped, and mapped again when a later block is
 * asked for. A file is deleted when every unit with blocks in it was released. The open-file cap
 * ({@code FileHandles}) closes least recently used channels and reopens them on demand, which
 * positional writes make cheap; readers map and close their descriptor at once.
 *
 * <h2>Directories</h2>
 * {@link dev.spillway.spill.SpillManager} resolves the root (configured path, else
 * {@code SPILLWAY_TEMP_DIR}, else {@code java.io.tmpdir}), sweeps what dead engines left (their
 * directories, recognised by a lock file no live process holds, and the sink temporary files
 * their journals list; {@code EngineDirectory}), warns about tmpfs and enforces the process spill
 * cap. While it has anything on disk an engine keeps one locked directory under the root; each
 * query gets a private {@link dev.spillway.spill.SpillDirectory} ({@code rwx------}, files
 * {@code rw-------}) inside it that is deleted with all its files when the query ends; a shutdown
 * hook deletes the live ones at exit.
 *
 * <h2>Not done</h2>
 * Write-behind on a separate I/O thread is not implemented: a spill writes on the thread that
 * spills, which is also the thread that would otherwise wait for the memory.
 */
package dev.spillway.spill;
