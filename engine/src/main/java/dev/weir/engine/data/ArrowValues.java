package dev.weir.engine.data;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.IntervalDayVector;
import org.apache.arrow.vector.IntervalMonthDayNanoVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.PeriodDuration;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeNanoVector;
import org.apache.arrow.vector.TimeSecVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampMilliTZVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoTZVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.TimeStampSecTZVector;
import org.apache.arrow.vector.TimeStampSecVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.Text;

/**
 * Converts between Arrow vector cells and plain Java values: {@code Long}, {@code Integer},
 * {@code Short}, {@code Byte}, {@code Double}, {@code Float}, {@code BigDecimal}, {@code Boolean},
 * {@code String}, {@code LocalDate}, {@code LocalDateTime} (timestamp without zone),
 * {@code Instant} (timestamp with zone), {@code LocalTime}, {@code byte[]}, a {@code List} of these (a list
 * column), a {@code Map} by field name (a struct column, read from a store) and null; unsigned integers come as
 * the next wider signed type, intervals as Arrow's {@code PeriodDuration} or {@code Duration}.
 */
final class ArrowValues {

    private ArrowValues() {
    }

    /** The Java value at {@code index}, or null. */
    static Object get(FieldVector vector, int index) {
        if (vector.isNull(index)) {
            return null;
        }
        if (vector instanceof VarCharVector v) {
            return new String(v.get(index), StandardCharsets.UTF_8);
        }
        if (vector instanceof LargeVarCharVector v) {
            return new String(v.get(index), StandardCharsets.UTF_8);
        }
        if (vector instanceof DateDayVector v) {
            return LocalDate.ofEpochDay(v.get(index));
        }
        if (vector instanceof DateMilliVector v) {
            return LocalDate.ofEpochDay(Math.floorDiv(v.get(index), 86_400_000L));
        }
        if (vector instanceof TimeStampMicroTZVector v) {
            return Instant.EPOCH.plus(v.get(index), ChronoUnit.MICROS);
        }
        if (vector instanceof TimeStampMilliTZVector v) {
            return Instant.ofEpochMilli(v.get(index));
        }
        if (vector instanceof TimeStampNanoTZVector v) {
            return Instant.EPOCH.plusNanos(v.get(index));
        }
        if (vector instanceof TimeStampSecTZVector v) {
            return Instant.ofEpochSecond(v.get(index));
        }
        if (vector instanceof TimeStampMicroVector || vector instanceof TimeStampMilliVector
                || vector instanceof TimeStampNanoVector || vector instanceof TimeStampSecVector) {
            return vector.getObject(index); // LocalDateTime
        }
        if (vector instanceof TimeMicroVector v) {
            return LocalTime.ofNanoOfDay(v.get(index) * 1_000L);
        }
        if (vector instanceof TimeMilliVector v) {
            return LocalTime.ofNanoOfDay(v.get(index) * 1_000_000L);
        }
        if (vector instanceof TimeNanoVector v) {
            return LocalTime.ofNanoOfDay(v.get(index));
        }
        if (vector instanceof TimeSecVector v) {
            return LocalTime.ofSecondOfDay(v.get(index));
        }
        if (vector instanceof UInt1Vector v) {
            return (short) Byte.toUnsignedInt(v.get(index));
        }
        if (vector instanceof UInt2Vector v) {
            return (int) v.get(index);
        }
        if (vector instanceof UInt4Vector v) {
            return Integer.toUnsignedLong(v.get(index));
        }
        if (vector instanceof UInt8Vector v) {
            long raw = v.get(index);
            return raw >= 0 ? (Object) raw : new BigDecimal(Long.toUnsignedString(raw));
        }
        if (vector instanceof StructVector v) {
            java.util.Map<String, Object> struct = new java.util.LinkedHashMap<>();
            for (FieldVector child : v.getChildrenFromFields()) {
                struct.put(child.getName(), get(child, index));
            }
            return java.util.Collections.unmodifiableMap(struct);
        }
        if (vector instanceof ListVector v) {
            FieldVector elements = v.getDataVector();
            List<Object> list = new java.util.ArrayList<>();
            for (int i = v.getElementStartIndex(index); i < v.getElementEndIndex(index); i++) {
                list.add(get(elements, i));
            }
            return java.util.Collections.unmodifiableList(list);
        }
        Object value = vector.getObject(index);
        if (value instanceof Text text) {
            return text.toString();
        }
        return value;
    }

    /** The Arrow field for a column whose first non-null value is {@code sample}. */
    static Field fieldFor(String name, Object sample) {
        return Field.nullable(name, typeOf(name, sample));
    }

    /**
     * The Arrow field for a column of these non-null values: the type of the first, widened to hold every
     * one of them exactly (integers of several widths: the widest; integers and floating-point numbers: a
     * double; decimals: the largest scale, integers included).
     */
    static Field fieldFor(String name, List<Object> values) {
        if (values.isEmpty()) {
            return fieldFor(name, (Object) null);
        }
        Object first = values.get(0);
        if (first instanceof List<?>) {
            List<Object> elements = new java.util.ArrayList<>();
            for (Object value : values) {
                if (!(value instanceof List<?> list)) {
                    throw new IllegalArgumentException("column '" + name + "' mixes lists and "
                            + value.getClass().getSimpleName() + " values; use one type per column");
                }
                list.stream().filter(java.util.Objects::nonNull).forEach(elements::add);
            }
            return new Field(name, FieldType.nullable(ArrowType.List.INSTANCE),
                    List.of(fieldFor(ListVector.DATA_VECTOR_NAME, elements)));
        }
        if (!(first instanceof Number) || values.stream().allMatch(v -> v.getClass() == first.getClass())
                && !(first instanceof BigDecimal)) {
            return fieldFor(name, first);
        }
        boolean decimal = false;
        boolean floating = false;
        int integerBits = 0;
        for (Object value : values) {
            if (value instanceof BigDecimal) {
                decimal = true;
            } else if (value instanceof Double || value instanceof Float) {
                floating = true;
            } else if (value instanceof Long || value instanceof Integer || value instanceof Short
                    || value instanceof Byte) {
                integerBits = Math.max(integerBits, integerBits(value));
            } else {
                throw new IllegalArgumentException("column '" + name + "' mixes " + first.getClass().getSimpleName()
                        + " and " + value.getClass().getSimpleName() + " values; use one type per column");
            }
        }
        if (decimal && floating) {
            throw new IllegalArgumentException("column '" + name + "' mixes BigDecimal and floating-point values;"
                    + " use one of them per column");
        }
        if (decimal) {
            int scale = 0;
            for (Object value : values) {
                scale = Math.max(scale, new BigDecimal(value.toString()).scale());
            }
            return Field.nullable(name, new ArrowType.Decimal(38, scale, 128));
        }
        if (floating) {
            boolean allFloat = values.stream().allMatch(v -> v instanceof Float || v instanceof Short || v instanceof Byte);
            return Field.nullable(name, new ArrowType.FloatingPoint(allFloat ? FloatingPointPrecision.SINGLE
                    : FloatingPointPrecision.DOUBLE));
        }
        return Field.nullable(name, new ArrowType.Int(integerBits, true));
    }

    private static int integerBits(Object value) {
        return value instanceof Long ? 64 : value instanceof Integer ? 32 : value instanceof Short ? 16 : 8;
    }

    private static ArrowType typeOf(String column, Object sample) {
        if (sample == null || sample instanceof String) {
            return ArrowType.Utf8.INSTANCE;
        } else if (sample instanceof Long) {
            return new ArrowType.Int(64, true);
        } else if (sample instanceof Integer) {
            return new ArrowType.Int(32, true);
        } else if (sample instanceof Short) {
            return new ArrowType.Int(16, true);
        } else if (sample instanceof Byte) {
            return new ArrowType.Int(8, true);
        } else if (sample instanceof Double) {
            return new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
        } else if (sample instanceof Float) {
            return new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        } else if (sample instanceof BigDecimal d) {
            return new ArrowType.Decimal(38, Math.max(d.scale(), 0), 128);
        } else if (sample instanceof Boolean) {
            return ArrowType.Bool.INSTANCE;
        } else if (sample instanceof LocalDate) {
            return new ArrowType.Date(DateUnit.DAY);
        } else if (sample instanceof LocalDateTime) {
            return new ArrowType.Timestamp(TimeUnit.MICROSECOND, null);
        } else if (sample instanceof Instant || sample instanceof OffsetDateTime) {
            return new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC");
        } else if (sample instanceof byte[]) {
            return ArrowType.Binary.INSTANCE;
        } else if (sample instanceof LocalTime) {
            return new ArrowType.Time(TimeUnit.MICROSECOND, 64);
        }
        throw new IllegalArgumentException("column '" + column + "': values of " + sample.getClass().getName()
                + " have no Arrow type; use Long, Integer, Short, Byte, Double, Float, BigDecimal, Boolean, String,"
                + " LocalDate, LocalDateTime, Instant, OffsetDateTime, byte[] or a List of these");
    }

    /** Writes {@code value} (or null) into {@code vector} at {@code index}, growing it as needed. */
    static void set(FieldVector vector, int index, Object value) {
        if (value == null) {
            vector.setNull(index);
            return;
        }
        try {
            setNonNull(vector, index, value);
        } catch (ClassCastException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("column '" + vector.getName() + "' of type "
                    + vector.getField().getType() + " cannot hold " + value.getClass().getSimpleName()
                    + " value " + value + (e instanceof UnsupportedOperationException ? ": " + e.getMessage() : ""), e);
        }
    }

    private static void setNonNull(FieldVector vector, int index, Object value) {
        if (vector instanceof BigIntVector v) {
            v.setSafe(index, exactInteger(v, (Number) value, Long.MIN_VALUE, Long.MAX_VALUE));
        } else if (vector instanceof IntVector v) {
            v.setSafe(index, (int) exactInteger(v, (Number) value, Integer.MIN_VALUE, Integer.MAX_VALUE));
        } else if (vector instanceof SmallIntVector v) {
            v.setSafe(index, (short) exactInteger(v, (Number) value, Short.MIN_VALUE, Short.MAX_VALUE));
        } else if (vector instanceof TinyIntVector v) {
            v.setSafe(index, (byte) exactInteger(v, (Number) value, Byte.MIN_VALUE, Byte.MAX_VALUE));
        } else if (vector instanceof Float8Vector v) {
            v.setSafe(index, ((Number) value).doubleValue());
        } else if (vector instanceof Float4Vector v) {
            v.setSafe(index, ((Number) value).floatValue());
        } else if (vector instanceof DecimalVector v) {
            BigDecimal d = value instanceof BigDecimal b ? b : new BigDecimal(value.toString());
            v.setSafe(index, d.setScale(v.getScale(), RoundingMode.HALF_EVEN));
        } else if (vector instanceof BitVector v) {
            v.setSafe(index, ((Boolean) value) ? 1 : 0);
        } else if (vector instanceof VarCharVector v) {
            v.setSafe(index, value.toString().getBytes(StandardCharsets.UTF_8));
        } else if (vector instanceof LargeVarCharVector v) {
            v.setSafe(index, value.toString().getBytes(StandardCharsets.UTF_8));
        } else if (vector instanceof DateDayVector v) {
            v.setSafe(index, (int) ((LocalDate) value).toEpochDay());
        } else if (vector instanceof TimeStampMicroTZVector v) {
            v.setSafe(index, micros(value));
        } else if (vector instanceof TimeStampMicroVector v) {
            v.setSafe(index, micros(value));
        } else if (vector instanceof VarBinaryVector v) {
            v.setSafe(index, (byte[]) value);
        } else if (vector instanceof TimeMicroVector v) {
            v.setSafe(index, ((LocalTime) value).toNanoOfDay() / 1_000L);
        } else if (vector instanceof TimeMilliVector v) {
            v.setSafe(index, (int) (((LocalTime) value).toNanoOfDay() / 1_000_000L));
        } else if (vector instanceof TimeNanoVector v) {
            v.setSafe(index, ((LocalTime) value).toNanoOfDay());
        } else if (vector instanceof TimeSecVector v) {
            v.setSafe(index, ((LocalTime) value).toSecondOfDay());
        } else if (vector instanceof UInt1Vector v) {
            v.setSafe(index, (int) exactInteger(v, (Number) value, 0, 0xFF));
        } else if (vector instanceof UInt2Vector v) {
            v.setSafe(index, (int) exactInteger(v, (Number) value, 0, 0xFFFF));
        } else if (vector instanceof UInt4Vector v) {
            v.setSafe(index, (int) exactInteger(v, (Number) value, 0, 0xFFFF_FFFFL));
        } else if (vector instanceof UInt8Vector v) {
            v.setSafe(index, exactUnsignedLong(v, (Number) value));
        } else if (vector instanceof IntervalMonthDayNanoVector v) {
            PeriodDuration interval = (PeriodDuration) value;
            v.setSafe(index, Math.toIntExact(interval.getPeriod().toTotalMonths()), interval.getPeriod().getDays(),
                    interval.getDuration().toNanos());
        } else if (vector instanceof IntervalDayVector v) {
            java.time.Duration duration = (java.time.Duration) value;
            v.setSafe(index, Math.toIntExact(duration.toDays()), (int) duration.minusDays(duration.toDays()).toMillis());
        } else if (vector instanceof FixedSizeBinaryVector v) {
            v.setSafe(index, (byte[]) value);
        } else if (vector instanceof StructVector v) {
            java.util.Map<?, ?> struct = (java.util.Map<?, ?>) value;
            for (FieldVector child : v.getChildrenFromFields()) {
                set(child, index, struct.get(child.getName()));
            }
            v.setIndexDefined(index);
        } else if (vector instanceof ListVector v) {
            List<?> list = (List<?>) value;
            int start = v.startNewValue(index);
            for (int i = 0; i < list.size(); i++) {
                set(v.getDataVector(), start + i, list.get(i));
            }
            v.endValue(index, list.size());
        } else {
            throw new IllegalArgumentException("column '" + vector.getName() + "': writing Java values into "
                    + vector.getField().getType() + " vectors is not supported");
        }
    }

    /** {@code value} as an integer in {@code [min, max]}; refused when it is not one (a fraction, too large). */
    private static long exactInteger(FieldVector vector, Number value, long min, long max) {
        long exact;
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            exact = value.longValue();
        } else {
            BigDecimal decimal = value instanceof BigDecimal b ? b : new BigDecimal(value.toString());
            try {
                exact = decimal.longValueExact();
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException("column '" + vector.getName() + "' of type "
                        + vector.getField().getType() + " cannot hold " + value.getClass().getSimpleName() + " value "
                        + value + " exactly", e);
            }
        }
        if (exact < min || exact > max) {
            throw new IllegalArgumentException("column '" + vector.getName() + "' of type " + vector.getField().getType()
                    + " cannot hold " + value.getClass().getSimpleName() + " value " + value + ": out of its range");
        }
        return exact;
    }

    /** {@code value} as the bits of an unsigned 64-bit integer; refused when it is negative, a fraction or too large. */
    private static long exactUnsignedLong(FieldVector vector, Number value) {
        BigDecimal decimal = value instanceof BigDecimal b ? b : new BigDecimal(value.toString());
        try {
            java.math.BigInteger exact = decimal.toBigIntegerExact();
            if (exact.signum() >= 0 && exact.bitLength() <= 64) {
                return exact.longValue();
            }
        } catch (ArithmeticException e) {
            // a fraction: refused below
        }
        throw new IllegalArgumentException("column '" + vector.getName() + "' of type " + vector.getField().getType()
                + " cannot hold " + value.getClass().getSimpleName() + " value " + value + " exactly");
    }

    private static long micros(Object value) {
        Instant instant;
        if (value instanceof Instant i) {
            instant = i;
        } else if (value instanceof OffsetDateTime o) {
            instant = o.toInstant();
        } else {
            instant = ((LocalDateTime) value).toInstant(ZoneOffset.UTC);
        }
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000L);
    }

    static List<Object> row(List<FieldVector> vectors, int index) {
        Object[] values = new Object[vectors.size()];
        for (int c = 0; c < values.length; c++) {
            values[c] = get(vectors.get(c), index);
        }
        return java.util.Arrays.asList(values);
    }
}
