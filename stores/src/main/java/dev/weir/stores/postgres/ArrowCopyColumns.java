package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseLargeVariableWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * How each Arrow column becomes a PostgreSQL column: its SQL type, and the encoder that writes its
 * values as PGCOPY binary fields. Both live here so they cannot disagree.
 *
 * <table>
 *   <caption>Arrow to PostgreSQL</caption>
 *   <tr><th>Arrow</th><th>PostgreSQL</th></tr>
 *   <tr><td>Int8, Int16, UInt8 (1 byte)</td><td>smallint</td></tr>
 *   <tr><td>Int32, UInt16</td><td>integer</td></tr>
 *   <tr><td>Int64, UInt32</td><td>bigint</td></tr>
 *   <tr><td>UInt64</td><td>numeric(20,0)</td></tr>
 *   <tr><td>Float32 / Float64</td><td>real / double precision</td></tr>
 *   <tr><td>Decimal(p,s), Decimal256(p,s)</td><td>numeric(p,s)</td></tr>
 *   <tr><td>Bool</td><td>boolean</td></tr>
 *   <tr><td>Utf8, LargeUtf8</td><td>text</td></tr>
 *   <tr><td>Binary, LargeBinary</td><td>bytea</td></tr>
 *   <tr><td>Date (day, milli)</td><td>date</td></tr>
 *   <tr><td>Timestamp (any unit) with / without zone</td><td>timestamptz / timestamp (nanoseconds truncated
 *   to microseconds)</td></tr>
 *   <tr><td>Null</td><td>text, all null</td></tr>
 * </table>
 * Anything else (lists, structs, maps, unions, time of day, intervals, dictionaries) is rejected.
 */
final class ArrowCopyColumns {

    /** 2000-01-01, PostgreSQL's epoch, in days and microseconds after 1970-01-01. */
    static final int PG_EPOCH_DAYS = 10_957;
    static final long PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400_000_000L;

    /** Writes one value of a bound vector as a COPY field. */
    interface Encoder {
        void write(int row, CopyBuffer out) throws SQLException;
    }

    /** One column of the target table. */
    record Column(String name, String sqlType) {
    }

    private ArrowCopyColumns() {
    }

    /**
     * The PostgreSQL columns for {@code schema}; fails on the first unsupported field, naming it.
     *
     * @param table for the message
     */
    static List<Column> columns(Schema schema, String table) {
        List<Column> columns = new ArrayList<>();
        for (Field field : schema.getFields()) {
            String type = sqlType(field.getType());
            if (type == null || field.getDictionary() != null) {
                throw StoreException.of("cannot store column '" + field.getName() + "' of Arrow type "
                        + field.getType() + (field.getDictionary() != null ? " (dictionary-encoded)" : "")
                        + " in PostgreSQL table " + table + ": supported are signed and unsigned integers,"
                        + " floating point, decimal, bool, utf8, binary, date, timestamp and null");
            }
            if (field.getName().isEmpty()
                    || field.getName().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > PgIdentifiers.MAX_BYTES) {
                throw StoreException.of("cannot store column '" + field.getName() + "' in PostgreSQL table " + table
                        + ": a column name must be 1 to " + PgIdentifiers.MAX_BYTES
                        + " bytes long (PostgreSQL would silently truncate a longer one); rename the column");
            }
            columns.add(new Column(field.getName(), type));
        }
        return columns;
    }

    private static String sqlType(ArrowType type) {
        return switch (type.getTypeID()) {
            case Int -> {
                ArrowType.Int i = (ArrowType.Int) type;
                int bits = i.getIsSigned() ? i.getBitWidth() : i.getBitWidth() * 2;
                yield bits <= 16 ? "smallint" : bits == 32 ? "integer" : bits == 64 ? "bigint" : "numeric(20,0)";
            }
            case FloatingPoint -> switch (((ArrowType.FloatingPoint) type).getPrecision()) {
                case SINGLE -> "real";
                case DOUBLE -> "double precision";
                case HALF -> null;
            };
            case Decimal -> {
                ArrowType.Decimal d = (ArrowType.Decimal) type;
                yield "numeric(" + d.getPrecision() + "," + d.getScale() + ")";
            }
            case Bool -> "boolean";
            case Utf8, LargeUtf8, Null -> "text";
            case Binary, LargeBinary -> "bytea";
            case Date -> "date";
            case Timestamp -> ((ArrowType.Timestamp) type).getTimezone() == null ? "timestamp" : "timestamptz";
            default -> null;
        };
    }

    /** Binds an encoder to {@code vector}, whose type {@link #columns} accepted. */
    static Encoder encoder(FieldVector vector) {
        if (vector instanceof TinyIntVector v) {
            return fixed(v, 2, (row, out) -> out.putShort(v.get(row)));
        } else if (vector instanceof SmallIntVector v) {
            return fixed(v, 2, (row, out) -> out.putShort(v.get(row)));
        } else if (vector instanceof IntVector v) {
            return fixed(v, 4, (row, out) -> out.putInt(v.get(row)));
        } else if (vector instanceof BigIntVector v) {
            return fixed(v, 8, (row, out) -> out.putLong(v.get(row)));
        } else if (vector instanceof UInt1Vector v) {
            return fixed(v, 2, (row, out) -> out.putShort((short) Byte.toUnsignedInt(v.get(row))));
        } else if (vector instanceof UInt2Vector v) {
            return fixed(v, 4, (row, out) -> out.putInt(v.get(row)));
        } else if (vector instanceof UInt4Vector v) {
            return fixed(v, 8, (row, out) -> out.putLong(Integer.toUnsignedLong(v.get(row))));
        } else if (vector instanceof UInt8Vector v) {
            return nullable(v, (row, out) ->
                    PgNumeric.write(new BigDecimal(new BigInteger(Long.toUnsignedString(v.get(row)))), out));
        } else if (vector instanceof Float4Vector v) {
            return fixed(v, 4, (row, out) -> out.putFloat(v.get(row)));
        } else if (vector instanceof Float8Vector v) {
            return fixed(v, 8, (row, out) -> out.putDouble(v.get(row)));
        } else if (vector instanceof DecimalVector v) {
            return nullable(v, (row, out) -> PgNumeric.write(v.getObject(row), out));
        } else if (vector instanceof Decimal256Vector v) {
            return nullable(v, (row, out) -> PgNumeric.write(v.getObject(row), out));
        } else if (vector instanceof BitVector v) {
            return fixed(v, 1, (row, out) -> out.putByte((byte) v.get(row)));
        } else if (vector instanceof BaseVariableWidthVector v) {
            ArrowBuf offsets = v.getOffsetBuffer();
            ArrowBuf data = v.getDataBuffer();
            return nullable(v, (row, out) -> {
                int start = offsets.getInt((long) row * BaseVariableWidthVector.OFFSET_WIDTH);
                int end = offsets.getInt((long) (row + 1) * BaseVariableWidthVector.OFFSET_WIDTH);
                out.putField(data, start, end - start);
            });
        } else if (vector instanceof BaseLargeVariableWidthVector v) {
            ArrowBuf offsets = v.getOffsetBuffer();
            ArrowBuf data = v.getDataBuffer();
            return nullable(v, (row, out) -> {
                long start = offsets.getLong((long) row * BaseLargeVariableWidthVector.OFFSET_WIDTH);
                long end = offsets.getLong((long) (row + 1) * BaseLargeVariableWidthVector.OFFSET_WIDTH);
                out.putField(data, start, Math.toIntExact(end - start));
            });
        } else if (vector instanceof DateDayVector v) {
            return fixed(v, 4, (row, out) -> out.putInt(v.get(row) - PG_EPOCH_DAYS));
        } else if (vector instanceof DateMilliVector v) {
            return fixed(v, 4, (row, out) ->
                    out.putInt(Math.toIntExact(Math.floorDiv(v.get(row), 86_400_000L) - PG_EPOCH_DAYS)));
        } else if (vector instanceof TimeStampVector v) {
            ArrowType.Timestamp type = (ArrowType.Timestamp) v.getField().getType();
            long unitsPerMicro = switch (type.getUnit()) {
                case NANOSECOND -> -1_000L; // negative: divide
                case MICROSECOND -> 1L;
                case MILLISECOND -> 1_000L;
                case SECOND -> 1_000_000L;
            };
            return fixed(v, 8, (row, out) -> {
                long raw = v.get(row);
                long micros = unitsPerMicro < 0 ? Math.floorDiv(raw, -unitsPerMicro) : Math.multiplyExact(raw, unitsPerMicro);
                out.putLong(micros - PG_EPOCH_MICROS);
            });
        } else if (vector.getField().getType().getTypeID() == ArrowType.ArrowTypeID.Null) {
            return (row, out) -> {
                out.ensure(4);
                out.putInt(-1);
            };
        }
        throw new IllegalStateException("no encoder for " + vector.getField());
    }

    /** A fixed-width field: -1 for null, else the width and the value. */
    private static Encoder fixed(FieldVector vector, int width, Encoder value) {
        return (row, out) -> {
            out.ensure(4 + width);
            if (vector.isNull(row)) {
                out.putInt(-1);
            } else {
                out.putInt(width);
                value.write(row, out);
            }
        };
    }

    /** A variable-width field whose encoder writes its own length. */
    private static Encoder nullable(FieldVector vector, Encoder value) {
        return (row, out) -> {
            if (vector.isNull(row)) {
                out.ensure(4);
                out.putInt(-1);
            } else {
                value.write(row, out);
            }
        };
    }
}
