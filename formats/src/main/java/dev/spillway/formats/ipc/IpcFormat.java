package dev.spillway.formats.ipc;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.spillway.errors.FormatException;
import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;
import org.apache.arrow.flatbuf.Bool;
import org.apache.arrow.flatbuf.Date;
import org.apache.arrow.flatbuf.DateUnit;
import org.apache.arrow.flatbuf.Decimal;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.FloatingPoint;
import org.apache.arrow.flatbuf.Int;
import org.apache.arrow.flatbuf.Precision;
import org.apache.arrow.flatbuf.TimeUnit;
import org.apache.arrow.flatbuf.Timestamp;
import org.apache.arrow.flatbuf.Type;
import org.apache.arrow.flatbuf.Utf8;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Layout constants of the Arrow IPC file format (Feather v2) and the mapping between Arrow
 * schemas (flatbuffers from {@code arrow-format}) and Spillway schemas.
 *
 * <p>File: {@code "ARROW1\0\0"}, the schema message, record batch messages, the footer flatbuffer,
 * its int32 length, {@code "ARROW1"}. Message: {@code 0xFFFFFFFF}, int32 metadata length, the
 * {@code Message} flatbuffer padded to 8 bytes, then the body whose buffers are 8-byte aligned.
 */
final class IpcFormat {
    static final byte[] MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    static final int CONTINUATION = 0xFFFFFFFF;
    static final int ALIGNMENT = 8;

    private IpcFormat() {
    }

    static long pad(long n) {
        return (n + ALIGNMENT - 1) & -ALIGNMENT;
    }

    /** Builds an Arrow {@code Schema} table for {@code schema} in {@code b}; returns its offset. */
    static int buildSchema(FlatBufferBuilder b, Schema schema) {
        int[] fields = new int[schema.size()];
        for (int i = 0; i < fields.length; i++) {
            Field f = schema.field(i);
            int name = b.createString(f.name());
            byte typeType;
            int type;
            switch (f.type()) {
                case INT32 -> {
                    typeType = Type.Int;
                    type = Int.createInt(b, 32, true);
                }
                case INT64 -> {
                    typeType = Type.Int;
                    type = Int.createInt(b, 64, true);
                }
                case FLOAT64 -> {
                    typeType = Type.FloatingPoint;
                    type = FloatingPoint.createFloatingPoint(b, Precision.DOUBLE);
                }
                case BOOLEAN -> {
                    typeType = Type.Bool;
                    Bool.startBool(b);
                    type = Bool.endBool(b);
                }
                case DATE32 -> {
                    typeType = Type.Date;
                    type = Date.createDate(b, DateUnit.DAY);
                }
                case DECIMAL128 -> {
                    typeType = Type.Decimal;
                    type = Decimal.createDecimal(b, f.decimal().precision(), f.decimal().scale(), 128);
                }
                case TIMESTAMP -> {
                    typeType = Type.Timestamp;
                    int zone = f.timeZone() == null ? 0 : b.createString(f.timeZone());
                    type = Timestamp.createTimestamp(b, TimeUnit.MICROSECOND, zone);
                }
                case UTF8 -> {
                    typeType = Type.Utf8;
                    Utf8.startUtf8(b);
                    type = Utf8.endUtf8(b);
                }
                default -> throw new IllegalStateException("no Arrow type for " + f);
            }
            int children = org.apache.arrow.flatbuf.Field.createChildrenVector(b, new int[0]);
            fields[i] = org.apache.arrow.flatbuf.Field.createField(b, name, true, typeType, type, 0, children, 0);
        }
        int vec = org.apache.arrow.flatbuf.Schema.createFieldsVector(b, fields);
        return org.apache.arrow.flatbuf.Schema.createSchema(b, Endianness.Little, vec, 0, 0);
    }

    /**
     * The Spillway schema of an Arrow schema.
     *
     * @throws FormatException naming the column for a type Spillway does not support
     */
    static Schema toSchema(Path file, org.apache.arrow.flatbuf.Schema s) {
        if (s.endianness() != Endianness.Little) {
            throw new FormatException(file, null, "big-endian Arrow files are not supported");
        }
        List<Field> out = new ArrayList<>();
        for (int i = 0; i < s.fieldsLength(); i++) {
            org.apache.arrow.flatbuf.Field f = s.fields(i);
            DataType t = switch (f.typeType()) {
                case Type.Int -> {
                    Int it = (Int) f.type(new Int());
                    yield !it.isSigned() ? null : it.bitWidth() == 32 ? DataType.INT32 : it.bitWidth() == 64 ? DataType.INT64 : null;
                }
                case Type.FloatingPoint -> ((FloatingPoint) f.type(new FloatingPoint())).precision() == Precision.DOUBLE
                        ? DataType.FLOAT64 : null;
                case Type.Bool -> DataType.BOOLEAN;
                case Type.Date -> ((Date) f.type(new Date())).unit() == DateUnit.DAY ? DataType.DATE32 : null;
                case Type.Utf8 -> DataType.UTF8;
                case Type.Timestamp -> ((Timestamp) f.type(new Timestamp())).unit() == TimeUnit.MICROSECOND
                        ? DataType.TIMESTAMP : null;
                case Type.Decimal -> {
                    Decimal d = (Decimal) f.type(new Decimal());
                    yield d.bitWidth() == 128 && d.precision() >= 1 && d.precision() <= DecimalType.MAX_PRECISION
                            && d.scale() >= 0 && d.scale() <= d.precision() ? DataType.DECIMAL128 : null;
                }
                default -> null;
            };
            if (t == null || f.dictionary() != null) {
                throw new FormatException(file, f.name(), "unsupported Arrow type " + Type.name(f.typeType())
                        + (f.dictionary() != null ? " (dictionary-encoded)" : "")
                        + (f.typeType() == Type.Timestamp ? " in " + TimeUnit.name(((Timestamp) f.type(new Timestamp())).unit())
                        + "S" : "")
                        + "; supported: int32, int64, float64, bool, date32, utf8, decimal128 (precision 1 to 38), "
                        + "timestamp in MICROSECONDs (with or without a time zone)");
            }
            if (t == DataType.DECIMAL128) {
                Decimal d = (Decimal) f.type(new Decimal());
                out.add(Field.decimal(f.name(), d.precision(), d.scale()));
            } else if (t == DataType.TIMESTAMP) {
                String zone = ((Timestamp) f.type(new Timestamp())).timezone();
                try {
                    out.add(Field.timestamp(f.name(), zone == null || zone.isEmpty() ? null : zone));
                } catch (IllegalArgumentException e) {
                    throw new FormatException(file, f.name(), e.getMessage());
                }
            } else {
                out.add(Field.of(f.name(), t));
            }
        }
        return new Schema(out);
    }
}
