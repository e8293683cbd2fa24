package dev.spillway.scheduler;

import dev.spillway.event.CpuPinningUnavailable;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * CPU pinning through the FFM {@link Linker}: {@code sched_setaffinity}, {@code sched_getaffinity}
 * and {@code sched_getcpu} from the C library (Linux). The only class of this module that makes
 * downcalls; elsewhere {@link #isSupported()} is false and the pool logs one notice per JVM and
 * runs its workers unpinned.
 *
 * <p>Masks are glibc {@code cpu_set_t}s of 1024 bits allocated in a confined arena per call: the
 * calls happen once per worker thread start, so there is nothing to cache.
 */
// This class is the module's one sanctioned user of restricted FFM methods (downcalls); the
// launcher and test JVMs grant it --enable-native-access, so the lint is acknowledged here only.
@SuppressWarnings("restricted")
public final class CpuAffinity {
    private static final System.Logger LOG = System.getLogger(CpuAffinity.class.getName());
    /** Bytes of a glibc {@code cpu_set_t} (1024 CPUs). */
    private static final long CPU_SET_BYTES = 128;
    private static final int MAX_CPUS = (int) (CPU_SET_BYTES * 8);
    private static final MethodHandle SET_AFFINITY;
    private static final MethodHandle GET_AFFINITY;
    private static final MethodHandle GET_CPU;
    private static final AtomicBoolean NOTICE_GIVEN = new AtomicBoolean();

    static {
        MethodHandle set = null;
        MethodHandle getMask = null;
        MethodHandle get = null;
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> setSym = libc.find("sched_setaffinity");
                Optional<MemorySegment> getMaskSym = libc.find("sched_getaffinity");
                Optional<MemorySegment> getSym = libc.find("sched_getcpu");
                if (setSym.isPresent() && getMaskSym.isPresent() && getSym.isPresent()) {
                    // int sched_[sg]etaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)
                    FunctionDescriptor affinity = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                    set = linker.downcallHandle(setSym.get(), affinity);
                    getMask = linker.downcallHandle(getMaskSym.get(), affinity);
                    get = linker.downcallHandle(getSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
                }
            } catch (RuntimeException | LinkageError e) {
                // No native access granted, or an unusual libc: pinning is simply unavailable.
                set = null;
                getMask = null;
                get = null;
            }
        }
        SET_AFFINITY = set;
        GET_AFFINITY = getMask;
        GET_CPU = get;
    }

    private CpuAffinity() {
    }

    /** Whether pinning is available on this platform. */
    public static boolean isSupported() {
        return SET_AFFINITY != null;
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @return whether the kernel accepted it (false when unsupported, or the CPU does not exist or
     *         is outside this process's allowed set)
     */
    public static boolean pinCurrentThread(int cpu) {
        if (!isSupported() || cpu < 0 || cpu >= MAX_CPUS) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            mask.set(ValueLayout.JAVA_BYTE, cpu >>> 3, (byte) (1 << (cpu & 7)));
            // pid 0: the calling thread
            int rc = (int) SET_AFFINITY.invokeExact(0, CPU_SET_BYTES, mask);
            return rc == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * The CPUs the calling thread may run on (its affinity mask, e.g. a container's cpuset), in
     * ascending order; when unsupported, {@code 0 .. availableProcessors-1}.
     */
    public static int[] allowedCpus() {
        if (isSupported()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
                int rc = (int) GET_AFFINITY.invokeExact(0, CPU_SET_BYTES, mask);
                if (rc == 0) {
                    int[] cpus = new int[MAX_CPUS];
                    int n = 0;
                    for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
                        if ((mask.get(ValueLayout.JAVA_BYTE, cpu >>> 3) & (1 << (cpu & 7))) != 0) {
                            cpus[n++] = cpu;
                        }
                    }
                    if (n > 0) {
                        return Arrays.copyOf(cpus, n);
                    }
                }
            } catch (Throwable t) {
                // fall through to the portable answer
            }
        }
        int n = Runtime.getRuntime().availableProcessors();
        int[] cpus = new int[n];
        Arrays.setAll(cpus, i -> i);
        return cpus;
    }

    /** The CPU the calling thread runs on now, or -1 when unsupported. */
    public static int currentCpu() {
        if (GET_CPU == null) {
            return -1;
        }
        try {
            return (int) GET_CPU.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Logs, once per JVM, that pinning was asked for but is unavailable. */
    static void noticeUnsupported() {
        if (NOTICE_GIVEN.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.INFO, new CpuPinningUnavailable(System.getProperty("os.name")).line());
        }
    }
}
