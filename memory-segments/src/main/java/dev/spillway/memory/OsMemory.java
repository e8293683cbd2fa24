package dev.spillway.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.Optional;

/**
 * Anonymous memory straight from the OS ({@code mmap}), and giving its pages back
 * ({@code madvise(MADV_DONTNEED)}) without unmapping it: the only class of this module that makes
 * downcalls.
 *
 * <p>The JDK's {@code Arena.allocate} goes through {@code malloc} and zero-fills what it returns,
 * which touches every page at once, and {@code free} may keep the memory in the C heap. Mapping
 * directly gives page-aligned memory whose pages become resident only when first written, and
 * lets the {@link BlockPool} return idle pages to the OS while keeping the addresses. The
 * mappings are tied to an {@link Arena}: they stay accessible until it closes, which unmaps them,
 * so a stale segment fails with an exception rather than touching unmapped memory.
 *
 * <p>Where the calls are unavailable (not Linux, or native access not granted) memory comes from
 * {@code Arena.allocate} and {@link #release} does nothing; {@link #canRelease()} tells which.
 */
// The module's one sanctioned user of restricted FFM methods (downcalls, reinterpret); the
// launcher and the test JVMs grant native access, and without it the static block falls back.
@SuppressWarnings("restricted")
final class OsMemory {
    /** The page size assumed for alignment (4 KiB on every platform the engine runs on). */
    static final long PAGE = 4096;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MAP_NORESERVE = 0x4000;
    private static final int MADV_DONTNEED = 4;
    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> mmapSym = libc.find("mmap");
                Optional<MemorySegment> munmapSym = libc.find("munmap");
                Optional<MemorySegment> madviseSym = libc.find("madvise");
                if (mmapSym.isPresent() && munmapSym.isPresent() && madviseSym.isPresent()) {
                    // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
                    mmap = linker.downcallHandle(mmapSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                    // int munmap(void *addr, size_t length); int madvise(void *addr, size_t length, int advice)
                    munmap = linker.downcallHandle(munmapSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
                    madvise = linker.downcallHandle(madviseSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT),
                            Linker.Option.critical(false));
                }
            } catch (RuntimeException | LinkageError e) {
                // No native access granted: fall back to the JDK's allocator.
                mmap = null;
                munmap = null;
                madvise = null;
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private OsMemory() {
    }

    /** Whether {@link #release} really gives pages back. */
    static boolean canRelease() {
        return MADVISE != null;
    }

    /**
     * Maps {@code bytes} (a multiple of {@link #PAGE}) of fresh zero pages, valid until
     * {@code arena} closes.
     *
     * @throws OutOfMemoryError when the OS refuses the mapping
     */
    static MemorySegment map(long bytes, Arena arena) {
        if (MMAP == null) {
            return arena.allocate(bytes, PAGE);
        }
        long address;
        try {
            address = (long) MMAP.invokeExact(0L, bytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("mmap failed", t);
        }
        if (address == -1L || address == 0L) {
            throw new OutOfMemoryError("the OS refused to map " + Bytes.format(bytes) + " of anonymous memory");
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes, arena, s -> unmap(address, bytes));
    }

    private static void unmap(long address, long bytes) {
        try {
            int rc = (int) MUNMAP.invokeExact(address, bytes);
            if (rc != 0) {
                throw new IllegalStateException("munmap of " + Bytes.format(bytes) + " failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }

    /**
     * Gives the whole pages inside {@code segment} back to the OS: they read as zero afterwards and
     * become resident again when written. Returns the bytes released (0 when unsupported).
     */
    static long release(MemorySegment segment) {
        if (MADVISE == null) {
            return 0;
        }
        long start = (segment.address() + PAGE - 1) & -PAGE;
        long end = (segment.address() + segment.byteSize()) & -PAGE;
        if (end <= start) {
            return 0;
        }
        try {
            int rc = (int) MADVISE.invokeExact(start, end - start, MADV_DONTNEED);
            return rc == 0 ? end - start : 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed", t);
        }
    }
}
