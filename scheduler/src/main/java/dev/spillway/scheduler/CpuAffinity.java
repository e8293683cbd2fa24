package dev.spillway.scheduler;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * CPU pinning through the FFM {@link Linker}: {@code sched_setaffinity} and {@code sched_getcpu}
 * from the C library (Linux). The only class of this module that makes downcalls; elsewhere every
 * method reports "unsupported".
 */
// This class is the module's one sanctioned user of restricted FFM methods (downcalls); the
// launcher and test JVMs grant it --enable-native-access, so the lint is acknowledged here only.
@SuppressWarnings("restricted")
public final class CpuAffinity {
    /** Bytes of a glibc {@code cpu_set_t} (1024 CPUs). */
    private static final long CPU_SET_BYTES = 128;
    private static final MethodHandle SET_AFFINITY;
    private static final MethodHandle GET_CPU;

    static {
        MethodHandle set = null;
        MethodHandle get = null;
        if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> setSym = libc.find("sched_setaffinity");
                Optional<MemorySegment> getSym = libc.find("sched_getcpu");
                if (setSym.isPresent() && getSym.isPresent()) {
                    set = linker.downcallHandle(setSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
                    get = linker.downcallHandle(getSym.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
                }
            } catch (RuntimeException | LinkageError e) {
                set = null;
                get = null;
            }
        }
        SET_AFFINITY = set;
        GET_CPU = get;
    }

    private CpuAffinity() {
    }

    /** Whether pinning is available on this platform. */
    public static boolean isSupported() {
        return SET_AFFINITY != null && GET_CPU != null;
    }

    /**
     * Pins the calling thread to {@code cpu}.
     *
     * @return whether the kernel accepted it (false when unsupported or the CPU is not allowed)
     */
    public static boolean pinCurrentThread(int cpu) {
        if (!isSupported() || cpu < 0 || cpu >= CPU_SET_BYTES * 8) {
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mask = arena.allocate(CPU_SET_BYTES, 8);
            mask.set(ValueLayout.JAVA_BYTE, cpu >>> 3, (byte) (1 << (cpu & 7)));
            int rc = (int) SET_AFFINITY.invokeExact(0, CPU_SET_BYTES, mask);
            return rc == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The CPU the calling thread runs on now, or -1 when unsupported. */
    public static int currentCpu() {
        if (!isSupported()) {
            return -1;
        }
        try {
            return (int) GET_CPU.invokeExact();
        } catch (Throwable t) {
            return -1;
        }
    }
}
