package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.util.Set;
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
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;

/**
 * Decodes PostgreSQL's binary COPY fields straight into Arrow vectors made by
 * {@link ResultSetColumns#schema}: no JDBC result set and no Java object per value.
 */
final class CopyOutColumns {

    /** Server types whose binary form is decoded here; a result with any other type is read by cursor. */
    static final Set<String> DECODED = Set.of("int2", "int4", "int8", "float4", "float8", "numeric", "bool",
            "bytea", "date", "timestamp", "timestamptz", "text", "varchar", "bpchar", "name");

    /** PostgreSQL counts days and microseconds from 2000-01-01; Arrow from 1970-01-01. */
    private static final int EPOCH_DAYS = 10_957;
    private static final long EPOCH_MICROS = 946_684_800_000_000L;
    private static final short NUMERIC_NEGATIVE = 0x4000;
    private static final BigInteger TEN_THOUSAND = BigInteger.valueOf(10_000);

    /** Reads one non-null field of {@code length} bytes into row {@code row}. */
    interface Decoder {
        void read(CopyOutRows in, int length, int row) throws SQLException;
    }

    private CopyOutColumns() {
    }

    /** A decoder for {@code vector}, whose server type is {@code pgType} (one of {@link #DECODED}). */
    static Decoder decoder(FieldVector vector, String pgType) {
        if (vector instanceof SmallIntVector v) {
            return (in, length, row) -> v.setSafe(row, fixed(in, length, 2, v).readShort());
        } else if (vector instanceof IntVector v) {
            return (in, length, row) -> v.setSafe(row, fixed(in, length, 4, v).readInt());
        } else if (vector instanceof BigIntVector v) {
            return (in, length, row) -> v.setSafe(row, fixed(in, length, 8, v).readLong());
        } else if (vector instanceof Float4Vector v) {
            return (in, length, row) -> v.setSafe(row, Float.intBitsToFloat(fixed(in, length, 4, v).readInt()));
        } else if (vector instanceof Float8Vector v) {
            return (in, length, row) -> v.setSafe(row, Double.longBitsToDouble(fixed(in, length, 8, v).readLong()));
        } else if (vector instanceof BitVector v) {
            return (in, length, row) -> {
                fixed(in, length, 1, v).require(1);
                v.setSafe(row, in.array()[in.position()] != 0 ? 1 : 0);
                in.skip(1);
            };
        } else if (vector instanceof DecimalVector v) {
            return (in, length, row) -> v.setSafe(row, ResultSetColumns.fit(numeric(in, v), v.getScale(), v.getPrecision(), v));
        } else if (vector instanceof Decimal256Vector v) {
            return (in, length, row) -> v.setSafe(row, ResultSetColumns.fit(numeric(in, v), v.getScale(), v.getPrecision(), v));
        } else if (vector instanceof DateDayVector v) {
            return (in, length, row) -> {
                int days = fixed(in, length, 4, v).readInt();
                if (days == Integer.MAX_VALUE || days == Integer.MIN_VALUE) {
                    throw infinite(v, "date");
                }
                v.setSafe(row, days + EPOCH_DAYS);
            };
        } else if (vector instanceof TimeStampVector v) {
            return (in, length, row) -> {
                long micros = fixed(in, length, 8, v).readLong();
                if (micros == Long.MAX_VALUE || micros == Long.MIN_VALUE) {
                    throw infinite(v, pgType);
                }
                v.setSafe(row, micros + EPOCH_MICROS);
            };
        } else if (vector instanceof VarCharVector v) {
            // text, varchar, bpchar and name travel as their UTF-8 bytes.
            return (in, length, row) -> {
                in.require(length);
                v.setSafe(row, in.array(), in.position(), length);
                in.skip(length);
            };
        } else if (vector instanceof VarBinaryVector v) {
            return (in, length, row) -> {
                in.require(length);
                v.setSafe(row, in.array(), in.position(), length);
                in.skip(length);
            };
        }
        throw new IllegalStateException("no COPY decoder for " + vector.getField() + " (" + pgType + ")");
    }

    private static CopyOutRows fixed(CopyOutRows in, int length, int expected, FieldVector vector) throws SQLException {
        if (length != expected) {
            throw new SQLException("column '" + vector.getName() + "' has a " + length + "-byte value where its type "
                    + vector.getField().getType() + " has " + expected);
        }
        return in;
    }

    private static StoreException infinite(FieldVector vector, String pgType) {
        return StoreException.of("column '" + vector.getName() + "' holds an infinite " + pgType
                + ", which Arrow cannot represent; replace it in SQL (e.g. with NULL) before reading");
    }

    /** A binary {@code numeric}: ndigits, weight, sign, dscale, then base-10000 digits. */
    private static BigDecimal numeric(CopyOutRows in, FieldVector vector) throws SQLException {
        int digits = in.readShort();
        int weight = in.readShort();
        short sign = in.readShort();
        int displayScale = in.readShort();
        if (sign != 0 && sign != NUMERIC_NEGATIVE) {
            for (int i = 0; i < digits; i++) {
                in.readShort();
            }
            throw StoreException.of("column '" + vector.getName() + "' holds a NaN or infinite numeric,"
                    + " which Arrow's decimal cannot represent; replace it in SQL before reading");
        }
        BigInteger unscaled;
        if (digits <= 4) {
            long value = 0;
            for (int i = 0; i < digits; i++) {
                value = value * 10_000 + in.readShort();
            }
            unscaled = BigInteger.valueOf(value);
        } else {
            unscaled = BigInteger.ZERO;
            for (int i = 0; i < digits; i++) {
                unscaled = unscaled.multiply(TEN_THOUSAND).add(BigInteger.valueOf(in.readShort()));
            }
        }
        // The last digit is worth 10000^(weight - digits + 1).
        BigDecimal value = new BigDecimal(sign == NUMERIC_NEGATIVE ? unscaled.negate() : unscaled,
                4 * (digits - 1 - weight));
        return digits == 0 ? BigDecimal.ZERO.setScale(displayScale) : value;
    }
}
