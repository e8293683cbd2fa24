package dev.spillway.arrow;

import dev.spillway.types.Schema;

import java.lang.foreign.MemorySegment;

/**
 * The state behind one exported {@code ArrowArrayStream}: the batch source and the last error
 * message (a C string that stays valid until the next call or the release, as the interface
 * requires). The consumer calls one callback at a time; the methods are synchronized anyway, so
 * a consumer that hops threads between calls sees this state published.
 */
final class ExportedStream {
    final long id;
    private final BatchSource source;
    private MemorySegment lastError = MemorySegment.NULL;
    private boolean released;

    ExportedStream(long id, BatchSource source) {
        this.id = id;
        this.source = source;
    }

    /** get_schema: exports the source's schema into {@code out}; an errno. */
    synchronized int getSchema(MemorySegment out) {
        if (released) {
            return fail(CData.EINVAL, "get_schema called on a released stream");
        }
        try {
            ArrowExport.exportSchema(source.schema(), out);
            return 0;
        } catch (RuntimeException | Error e) {
            return fail(CData.EIO, "cannot export the schema: " + e);
        }
    }

    /** get_next: the next batch into {@code out}, or a released array at the end; an errno. */
    synchronized int getNext(MemorySegment out) {
        if (released) {
            return fail(CData.EINVAL, "get_next called on a released stream");
        }
        BatchSource.Batch batch = null;
        try {
            MemorySegment array = CData.struct(out, CData.ARRAY_SIZE);
            batch = source.next();
            if (batch == null) {
                array.fill((byte) 0);
                return 0;
            }
            checkSchema(batch.morsel().schema());
            BatchSource.Batch b = batch;
            batch = null;
            ArrowExport.exportBatch(b, array);
            return 0;
        } catch (RuntimeException | Error e) {
            if (batch != null) {
                batch.close();
            }
            return fail(CData.EIO, "cannot export the next batch: " + e);
        }
    }

    /** A batch must match the schema get_schema gave, or the consumer would misread its buffers. */
    private void checkSchema(Schema got) {
        Schema want = source.schema();
        boolean same = got.size() == want.size();
        for (int c = 0; same && c < want.size(); c++) {
            same = want.field(c).sameType(got.field(c));
        }
        if (!same) {
            throw new IllegalStateException("a batch with columns " + got + " does not match the stream's schema " + want);
        }
    }

    /** get_last_error: the message of the last failed call, or NULL. */
    synchronized MemorySegment lastError() {
        return lastError;
    }

    /** release: closes the source; batches already handed out stay valid. */
    synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        freeError();
        source.close();
    }

    private int fail(int errno, String message) {
        freeError();
        MemorySegment s = CData.calloc(CData.stringSize(message));
        CData.putString(s, message);
        lastError = s;
        return errno;
    }

    private void freeError() {
        if (lastError.address() != 0) {
            CData.free(lastError);
            lastError = MemorySegment.NULL;
        }
    }
}
