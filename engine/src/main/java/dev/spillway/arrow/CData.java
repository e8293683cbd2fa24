package dev.spillway.arrow;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.nio.charset.StandardCharsets;

/**
 * The three structs of the Arrow C data interface ({@code ArrowSchema}, {@code ArrowArray},
 * {@code ArrowArrayStream}) as byte offsets, and the package's restricted FFM calls: the C heap
 * ({@code calloc}/{@code free}), giving a foreign address a size, calling a producer's function
 * pointers and making upcall stubs.
 *
 * <p>Offsets assume a 64-bit ABI (8-byte pointers and {@code int64_t}), which the interface's
 * structs are laid out for on every platform the engine runs on.
 */
// The package's one user of restricted FFM methods; the launcher and test JVMs grant native access.
@SuppressWarnings("restricted")
final class CData {
    // ------------------------------------------------------------------ struct ArrowSchema
    static final long SCHEMA_FORMAT = 0;
    static final long SCHEMA_NAME = 8;
    static final long SCHEMA_METADATA = 16;
    static final long SCHEMA_FLAGS = 24;
    static final long SCHEMA_N_CHILDREN = 32;
    static final long SCHEMA_CHILDREN = 40;
    static final long SCHEMA_DICTIONARY = 48;
    static final long SCHEMA_RELEASE = 56;
    static final long SCHEMA_PRIVATE = 64;
    static final long SCHEMA_SIZE = 72;
    /** {@code ARROW_FLAG_NULLABLE}. */
    static final long FLAG_NULLABLE = 2;

    // ------------------------------------------------------------------ struct ArrowArray
    static final long ARRAY_LENGTH = 0;
    static final long ARRAY_NULL_COUNT = 8;
    static final long ARRAY_OFFSET = 16;
    static final long ARRAY_N_BUFFERS = 24;
    static final long ARRAY_N_CHILDREN = 32;
    static final long ARRAY_BUFFERS = 40;
    static final long ARRAY_CHILDREN = 48;
    static final long ARRAY_DICTIONARY = 56;
    static final long ARRAY_RELEASE = 64;
    static final long ARRAY_PRIVATE = 72;
    static final long ARRAY_SIZE = 80;

    // ------------------------------------------------------------------ struct ArrowArrayStream
    static final long STREAM_GET_SCHEMA = 0;
    static final long STREAM_GET_NEXT = 8;
    static final long STREAM_GET_LAST_ERROR = 16;
    static final long STREAM_RELEASE = 24;
    static final long STREAM_PRIVATE = 32;
    static final long STREAM_SIZE = 40;

    /** errno values the stream callbacks return: {@code EIO} for a failure, {@code EINVAL} for a bad call. */
    static final int EIO = 5;
    static final int EINVAL = 22;

    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong PTR = ValueLayout.JAVA_LONG;

    /** {@code void (*)(struct X*)}: every release callback. */
    static final FunctionDescriptor RELEASE = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
    /** {@code int (*)(struct ArrowArrayStream*, struct X* out)}: get_schema and get_next. */
    static final FunctionDescriptor GET = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.ADDRESS);
    /** {@code const char* (*)(struct ArrowArrayStream*)}. */
    static final FunctionDescriptor LAST_ERROR = FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS);

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle CALLOC = LINKER.downcallHandle(LINKER.defaultLookup().find("calloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    private static final MethodHandle CALL_RELEASE = LINKER.downcallHandle(RELEASE);
    private static final MethodHandle CALL_GET = LINKER.downcallHandle(GET);
    private static final MethodHandle CALL_LAST_ERROR = LINKER.downcallHandle(LAST_ERROR);

    private CData() {
    }

    // ------------------------------------------------------------------ C heap

    /**
     * {@code bytes} zeroed bytes of the C heap, freed by {@link #free} from any thread (an arena
     * would tie the free to one thread or cost a handshake with all of them).
     *
     * @throws OutOfMemoryError when calloc fails
     */
    static MemorySegment calloc(long bytes) {
        long address;
        try {
            address = (long) CALLOC.invokeExact(1L, Math.max(bytes, 1L));
        } catch (Throwable t) {
            throw new IllegalStateException("calloc failed", t);
        }
        if (address == 0) {
            throw new OutOfMemoryError("calloc(" + bytes + ") returned NULL");
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    /** Frees memory from {@link #calloc}. */
    static void free(MemorySegment memory) {
        try {
            FREE.invokeExact(memory.address());
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    /** A NUL-terminated UTF-8 copy of {@code s} at {@code at}; returns the bytes written. */
    static long putString(MemorySegment at, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(b, 0, at, ValueLayout.JAVA_BYTE, 0, b.length);
        at.set(ValueLayout.JAVA_BYTE, b.length, (byte) 0);
        return b.length + 1L;
    }

    /** Bytes {@link #putString} needs. */
    static long stringSize(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length + 1L;
    }

    /** The NUL-terminated UTF-8 string at {@code address}, or null for NULL. */
    static String getString(long address) {
        if (address == 0) {
            return null;
        }
        return MemorySegment.ofAddress(address).reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
    }

    /** The foreign memory at {@code address}, {@code bytes} long. */
    static MemorySegment at(long address, long bytes) {
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    /** A struct the caller passed by address, {@code bytes} long. */
    static MemorySegment struct(MemorySegment pointer, long bytes) {
        if (pointer == null || pointer.address() == 0) {
            throw new IllegalArgumentException("a NULL struct pointer was given");
        }
        return pointer.byteSize() >= bytes ? pointer.asSlice(0, bytes) : pointer.reinterpret(bytes);
    }

    // ------------------------------------------------------------------ calling a producer

    /** Calls the release callback at {@code fn} on the struct at {@code struct}. */
    static void callRelease(long fn, MemorySegment struct) {
        try {
            CALL_RELEASE.invokeExact(MemorySegment.ofAddress(fn), struct);
        } catch (Throwable t) {
            throw new IllegalStateException("the producer's release callback failed", t);
        }
    }

    /** Calls get_schema or get_next at {@code fn}; returns its errno. */
    static int callGet(long fn, MemorySegment stream, MemorySegment out) {
        try {
            return (int) CALL_GET.invokeExact(MemorySegment.ofAddress(fn), stream, out);
        } catch (Throwable t) {
            throw new IllegalStateException("the producer's stream callback failed", t);
        }
    }

    /** Calls get_last_error at {@code fn}; the message or null. */
    static String callLastError(long fn, MemorySegment stream) {
        try {
            MemorySegment s = (MemorySegment) CALL_LAST_ERROR.invokeExact(MemorySegment.ofAddress(fn), stream);
            return getString(s.address());
        } catch (Throwable t) {
            return null;
        }
    }

    // ------------------------------------------------------------------ upcalls

    /**
     * A function pointer that calls the static method {@code name} of {@code owner}; it lives in
     * the global arena, so it stays valid for every consumer, however late it calls.
     */
    static MemorySegment upcall(Class<?> owner, String name, FunctionDescriptor descriptor) {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(owner, name, descriptor.toMethodType());
            return LINKER.upcallStub(target, descriptor, Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
