package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TypeInfo;
import org.postgresql.jdbc.PgResultSet;

/**
 * How each PostgreSQL result column becomes an Arrow column: its Arrow type, and the filler that
 * moves one value from the {@link ResultSet} into the vector.
 *
 * <table>
 *   <caption>PostgreSQL to Arrow</caption>
 *   <tr><th>PostgreSQL</th><th>Arrow</th></tr>
 *   <tr><td>smallint / integer / bigint</td><td>Int16 / Int32 / Int64</td></tr>
 *   <tr><td>real / double precision</td><td>Float32 / Float64</td></tr>
 *   <tr><td>numeric(p,s), p &le; 38</td><td>Decimal128(p,s)</td></tr>
 *   <tr><td>numeric(p,s), 38 &lt; p &le; 76</td><td>Decimal256(p,s)</td></tr>
 *   <tr><td>numeric without precision</td><td>Decimal128(38,10): values are rounded half-even to 10
 *   decimals; a value with more than 28 integer digits fails, naming the column. Cast in SQL
 *   ({@code numeric(p,s)}) to choose otherwise.</td></tr>
 *   <tr><td>boolean</td><td>Bool</td></tr>
 *   <tr><td>text, varchar, char</td><td>Utf8</td></tr>
 *   <tr><td>bytea</td><td>Binary</td></tr>
 *   <tr><td>date</td><td>Date(day)</td></tr>
 *   <tr><td>timestamp / timestamptz</td><td>Timestamp(micro) / Timestamp(micro, "UTC")</td></tr>
 *   <tr><td>anything else (json, uuid, arrays, ...)</td><td>Utf8, as PostgreSQL prints it</td></tr>
 * </table>
 */
final class ResultSetColumns {

    static final int UNCONSTRAINED_PRECISION = 38;
    static final int UNCONSTRAINED_SCALE = 10;

    /** Moves the value of result column {@code column} (1-based) of the current row into {@code row}. */
    interface Filler {
        void fill(ResultSet rs, int column, int row) throws SQLException;
    }

    private ResultSetColumns() {
    }

    /**
     * The server's type name of every result column, from the column type OIDs the result carries.
     *
     * <p>Not {@link ResultSetMetaData#getColumnTypeName}: pgjdbc answers that by asking the catalog
     * whether each column is auto-increment, one more round trip and catalog query per read of a table
     * it has not seen (about 1 ms each, the most of reading a small table).
     */
    static List<String> pgTypes(ResultSet rs) throws SQLException {
        PgResultSet result = rs.unwrap(PgResultSet.class);
        TypeInfo types = rs.getStatement().getConnection().unwrap(BaseConnection.class).getTypeInfo();
        int count = rs.getMetaData().getColumnCount();
        List<String> names = new ArrayList<>(count);
        for (int c = 1; c <= count; c++) {
            names.add(types.getPGType(result.getColumnOID(c)));
        }
        return names;
    }

    /** The Arrow schema of a result whose column types are {@code pgTypes} (see {@link #pgTypes}). */
    static Schema schema(ResultSetMetaData meta, List<String> pgTypes) throws SQLException {
        List<Field> fields = new ArrayList<>();
        for (int c = 1; c <= meta.getColumnCount(); c++) {
            ArrowType type = arrowType(pgTypes.get(c - 1), meta.getPrecision(c), meta.getScale(c));
            fields.add(new Field(meta.getColumnLabel(c), FieldType.nullable(type), null));
        }
        return new Schema(fields);
    }

    private static ArrowType arrowType(String pgType, int precision, int scale) {
        return switch (pgType) {
            case "int2" -> new ArrowType.Int(16, true);
            case "int4" -> new ArrowType.Int(32, true);
            case "int8" -> new ArrowType.Int(64, true);
            case "float4" -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case "float8" -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case "numeric" -> {
                if (precision >= 1 && precision <= 38) {
                    yield new ArrowType.Decimal(precision, Math.max(scale, 0), 128);
                } else if (precision > 38 && precision <= 76) {
                    yield new ArrowType.Decimal(precision, Math.max(scale, 0), 256);
                }
                yield new ArrowType.Decimal(UNCONSTRAINED_PRECISION, UNCONSTRAINED_SCALE, 128);
            }
            case "bool" -> ArrowType.Bool.INSTANCE;
            case "bytea" -> ArrowType.Binary.INSTANCE;
            case "date" -> new ArrowType.Date(DateUnit.DAY);
            case "timestamp" -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
            case "timestamptz" -> new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
            default -> ArrowType.Utf8.INSTANCE;
        };
    }

    /** A filler writing into {@code vector}, which was created from {@link #schema}. */
    static Filler filler(FieldVector vector, String pgType) {
        if (vector instanceof SmallIntVector v) {
            return (rs, c, row) -> {
                short value = rs.getShort(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof IntVector v) {
            return (rs, c, row) -> {
                int value = rs.getInt(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof BigIntVector v) {
            return (rs, c, row) -> {
                long value = rs.getLong(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof Float4Vector v) {
            return (rs, c, row) -> {
                float value = rs.getFloat(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof Float8Vector v) {
            return (rs, c, row) -> {
                double value = rs.getDouble(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof DecimalVector v) {
            int scale = v.getScale();
            return (rs, c, row) -> {
                BigDecimal value = rs.getBigDecimal(c);
                if (value == null) v.setNull(row); else v.setSafe(row, fit(value, scale, v.getPrecision(), vector));
            };
        } else if (vector instanceof Decimal256Vector v) {
            int scale = v.getScale();
            return (rs, c, row) -> {
                BigDecimal value = rs.getBigDecimal(c);
                if (value == null) v.setNull(row); else v.setSafe(row, fit(value, scale, v.getPrecision(), vector));
            };
        } else if (vector instanceof BitVector v) {
            return (rs, c, row) -> {
                boolean value = rs.getBoolean(c);
                if (rs.wasNull()) v.setNull(row); else v.setSafe(row, value ? 1 : 0);
            };
        } else if (vector instanceof VarBinaryVector v) {
            return (rs, c, row) -> {
                byte[] value = rs.getBytes(c);
                if (value == null) v.setNull(row); else v.setSafe(row, value);
            };
        } else if (vector instanceof DateDayVector v) {
            return (rs, c, row) -> {
                LocalDate value = rs.getObject(c, LocalDate.class);
                if (value == null) {
                    v.setNull(row);
                } else if (value.equals(LocalDate.MAX) || value.equals(LocalDate.MIN)) {
                    throw infinite(v, "date");
                } else {
                    v.setSafe(row, Math.toIntExact(value.toEpochDay()));
                }
            };
        } else if (vector instanceof TimeStampMicroTZVector v) {
            return (rs, c, row) -> {
                OffsetDateTime value = rs.getObject(c, OffsetDateTime.class);
                if (value == null) {
                    v.setNull(row);
                } else if (value.equals(OffsetDateTime.MAX) || value.equals(OffsetDateTime.MIN)) {
                    throw infinite(v, "timestamptz");
                } else {
                    v.setSafe(row, micros(value.toEpochSecond(), value.getNano()));
                }
            };
        } else if (vector instanceof TimeStampMicroVector v) {
            return (rs, c, row) -> {
                LocalDateTime value = rs.getObject(c, LocalDateTime.class);
                if (value == null) {
                    v.setNull(row);
                } else if (value.equals(LocalDateTime.MAX) || value.equals(LocalDateTime.MIN)) {
                    throw infinite(v, "timestamp");
                } else {
                    v.setSafe(row, micros(value.toEpochSecond(ZoneOffset.UTC), value.getNano()));
                }
            };
        } else if (vector instanceof VarCharVector v) {
            boolean textual = pgType.equals("text") || pgType.equals("varchar") || pgType.equals("bpchar")
                    || pgType.equals("name");
            return textual
                    // pgjdbc hands out the UTF-8 wire bytes of text columns as they are: no String on the way.
                    ? (rs, c, row) -> {
                        byte[] value = rs.getBytes(c);
                        if (value == null) v.setNull(row); else v.setSafe(row, value);
                    }
                    : (rs, c, row) -> {
                        String value = rs.getString(c);
                        if (value == null) v.setNull(row); else v.setSafe(row, value.getBytes(StandardCharsets.UTF_8));
                    };
        }
        throw new IllegalStateException("no filler for " + vector.getField());
    }

    /** pgjdbc reads {@code infinity} and {@code -infinity} as the MAX and MIN of java.time. */
    static StoreException infinite(FieldVector vector, String pgType) {
        return StoreException.of("column '" + vector.getName() + "' holds an infinite " + pgType
                + ", which Arrow cannot represent; replace it in SQL (e.g. with NULL) before reading");
    }

    static long micros(long epochSecond, int nano) {
        return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000L), nano / 1_000);
    }

    static BigDecimal fit(BigDecimal value, int scale, int precision, FieldVector vector) {
        BigDecimal scaled = value.setScale(scale, RoundingMode.HALF_EVEN);
        if (scaled.precision() > precision) {
            throw StoreException.of("value " + value + " of column '" + vector.getName() + "' does not fit Arrow "
                    + vector.getField().getType() + "; cast the column to numeric(p,s) in SQL");
        }
        return scaled;
    }
}
