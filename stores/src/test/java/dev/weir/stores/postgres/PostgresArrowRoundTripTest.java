package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampMicroVector;
import org.apache.arrow.vector.TimeStampMilliVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.TimeStampSecVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/** Arrow data written by binary COPY reads back with the same values, nulls and (mapped) types. */
class PostgresArrowRoundTripTest extends PostgresStageFixture {

    PostgresArrowRoundTripTest() {
        super("roundtrip", "s");
    }

    private static Field field(String name, ArrowType type) {
        return Field.nullable(name, type);
    }

    private static final Schema EVERY_TYPE = new Schema(List.of(
            field("i8", new ArrowType.Int(8, true)), field("i16", new ArrowType.Int(16, true)),
            field("i32", new ArrowType.Int(32, true)), field("i64", new ArrowType.Int(64, true)),
            field("u8", new ArrowType.Int(8, false)), field("u16", new ArrowType.Int(16, false)),
            field("u32", new ArrowType.Int(32, false)), field("u64", new ArrowType.Int(64, false)),
            field("f32", new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
            field("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            field("dec", new ArrowType.Decimal(20, 3, 128)), field("b", ArrowType.Bool.INSTANCE),
            field("s", ArrowType.Utf8.INSTANCE), field("ls", ArrowType.LargeUtf8.INSTANCE),
            field("bin", ArrowType.Binary.INSTANCE), field("lbin", ArrowType.LargeBinary.INSTANCE),
            field("dday", new ArrowType.Date(DateUnit.DAY)), field("dms", new ArrowType.Date(DateUnit.MILLISECOND)),
            field("ts_us", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null)),
            field("ts_ms", new ArrowType.Timestamp(TimeUnit.MILLISECOND, null)),
            field("ts_ns", new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)),
            field("ts_s", new ArrowType.Timestamp(TimeUnit.SECOND, null)),
            field("tstz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC")),
            field("nothing", ArrowType.Null.INSTANCE)));

    /** Row 0: lower extremes; row 1: all null; row 2: upper extremes and odd values. */
    private static void fillEveryType(VectorSchemaRoot root, int batch) {
        ((TinyIntVector) root.getVector("i8")).setSafe(0, -128);
        ((TinyIntVector) root.getVector("i8")).setSafe(2, 127);
        ((SmallIntVector) root.getVector("i16")).setSafe(0, Short.MIN_VALUE);
        ((SmallIntVector) root.getVector("i16")).setSafe(2, Short.MAX_VALUE);
        ((IntVector) root.getVector("i32")).setSafe(0, Integer.MIN_VALUE);
        ((IntVector) root.getVector("i32")).setSafe(2, Integer.MAX_VALUE);
        ((BigIntVector) root.getVector("i64")).setSafe(0, Long.MIN_VALUE);
        ((BigIntVector) root.getVector("i64")).setSafe(2, Long.MAX_VALUE);
        ((UInt1Vector) root.getVector("u8")).setSafe(0, 0);
        ((UInt1Vector) root.getVector("u8")).setSafe(2, 255);
        ((UInt2Vector) root.getVector("u16")).setSafe(0, 0);
        ((UInt2Vector) root.getVector("u16")).setSafe(2, 65_535);
        ((UInt4Vector) root.getVector("u32")).setSafe(0, 0);
        ((UInt4Vector) root.getVector("u32")).setSafe(2, -1); // 4294967295
        ((UInt8Vector) root.getVector("u64")).setSafe(0, 0L);
        ((UInt8Vector) root.getVector("u64")).setSafe(2, -1L); // 18446744073709551615
        ((Float4Vector) root.getVector("f32")).setSafe(0, -1.5f);
        ((Float4Vector) root.getVector("f32")).setSafe(2, Float.NaN);
        ((Float8Vector) root.getVector("f64")).setSafe(0, -2.25e300);
        ((Float8Vector) root.getVector("f64")).setSafe(2, Double.POSITIVE_INFINITY);
        ((DecimalVector) root.getVector("dec")).setSafe(0, new BigDecimal("-12345678901234567.125"));
        ((DecimalVector) root.getVector("dec")).setSafe(2, new BigDecimal("0.001"));
        ((BitVector) root.getVector("b")).setSafe(0, 1);
        ((BitVector) root.getVector("b")).setSafe(2, 0);
        ((VarCharVector) root.getVector("s")).setSafe(0, "grüße 東京 😀".getBytes(StandardCharsets.UTF_8));
        ((VarCharVector) root.getVector("s")).setSafe(2, "".getBytes(StandardCharsets.UTF_8));
        ((LargeVarCharVector) root.getVector("ls")).setSafe(0, "it's \"quoted\"\n\ttab\\".getBytes(StandardCharsets.UTF_8));
        ((LargeVarCharVector) root.getVector("ls")).setSafe(2, "x".repeat(3_000_000).getBytes(StandardCharsets.UTF_8));
        ((VarBinaryVector) root.getVector("bin")).setSafe(0, new byte[] {0, 1, (byte) 255});
        ((VarBinaryVector) root.getVector("bin")).setSafe(2, new byte[0]);
        ((LargeVarBinaryVector) root.getVector("lbin")).setSafe(0, new byte[] {(byte) 0x80});
        ((LargeVarBinaryVector) root.getVector("lbin")).setSafe(2, new byte[] {'\\', 'x'});
        ((DateDayVector) root.getVector("dday")).setSafe(0, -1); // 1969-12-31
        ((DateDayVector) root.getVector("dday")).setSafe(2, 10_957); // 2000-01-01
        ((DateMilliVector) root.getVector("dms")).setSafe(0, -86_400_000L * 800_000); // year -220
        ((DateMilliVector) root.getVector("dms")).setSafe(2, 86_400_000L * 20_000 + 5); // time of day dropped
        ((TimeStampMicroVector) root.getVector("ts_us")).setSafe(0, -1L);
        ((TimeStampMicroVector) root.getVector("ts_us")).setSafe(2, 1_700_000_000_123_456L);
        ((TimeStampMilliVector) root.getVector("ts_ms")).setSafe(0, -1L);
        ((TimeStampMilliVector) root.getVector("ts_ms")).setSafe(2, 1_700_000_000_123L);
        ((TimeStampNanoVector) root.getVector("ts_ns")).setSafe(0, -1_001L); // floor to -2 us
        ((TimeStampNanoVector) root.getVector("ts_ns")).setSafe(2, 1_700_000_000_123_456_789L);
        ((TimeStampSecVector) root.getVector("ts_s")).setSafe(0, 0L);
        ((TimeStampSecVector) root.getVector("ts_s")).setSafe(2, 4_102_444_800L); // 2100-01-01
        ((TimeStampMicroTZVector) root.getVector("tstz")).setSafe(0, 946_684_800_000_000L); // PG epoch
        ((TimeStampMicroTZVector) root.getVector("tstz")).setSafe(2, -62_135_596_800_000_000L); // year 1
        for (FieldVector vector : root.getFieldVectors()) {
            if (!(vector instanceof org.apache.arrow.vector.NullVector)) {
                vector.setNull(1);
            }
            vector.setValueCount(3);
        }
        root.setRowCount(3);
    }

    @Test
    void everySupportedTypeRoundTripsWithNulls() throws Exception {
        TableLocation table = new TableLocation(schema, "every_type");
        try (ArrowReader data = new TestBatches(allocator, EVERY_TYPE, 1, PostgresArrowRoundTripTest::fillEveryType)) {
            assertEquals(3, store.writeArrow(table, data, TableSpec.NONE));
        }
        List<List<Object>> rows;
        try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
            Schema back = read.getVectorSchemaRoot().getSchema();
            assertEquals(new ArrowType.Int(16, true), back.findField("i8").getType());
            assertEquals(new ArrowType.Int(16, true), back.findField("u8").getType());
            assertEquals(new ArrowType.Int(32, true), back.findField("u16").getType());
            assertEquals(new ArrowType.Int(64, true), back.findField("u32").getType());
            assertEquals(new ArrowType.Decimal(20, 0, 128), back.findField("u64").getType());
            assertEquals(new ArrowType.Decimal(20, 3, 128), back.findField("dec").getType());
            assertEquals(new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), back.findField("ts_ns").getType());
            assertEquals(new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), back.findField("tstz").getType());
            assertEquals(ArrowType.Utf8.INSTANCE, back.findField("nothing").getType());
            rows = TestBatches.rows(read);
        }
        assertEquals(3, rows.size());
        List<Object> low = rows.get(0);
        List<Object> high = rows.get(2);
        assertEquals(List.of((short) -128, (short) Short.MIN_VALUE, Integer.MIN_VALUE, Long.MIN_VALUE, (short) 0, 0, 0L,
                new BigDecimal("0")), low.subList(0, 8));
        assertEquals(List.of((short) 127, Short.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, (short) 255, 65_535,
                4_294_967_295L, new BigDecimal("18446744073709551615")), high.subList(0, 8));
        assertEquals(-1.5f, low.get(8));
        assertTrue(Float.isNaN((Float) high.get(8)));
        assertEquals(-2.25e300, low.get(9));
        assertEquals(Double.POSITIVE_INFINITY, high.get(9));
        assertEquals(new BigDecimal("-12345678901234567.125"), low.get(10));
        assertEquals(new BigDecimal("0.001"), high.get(10));
        assertEquals(List.of(true, "grüße 東京 😀", "it's \"quoted\"\n\ttab\\"), low.subList(11, 14));
        assertEquals(List.of(false, ""), high.subList(11, 13));
        assertEquals(3_000_000, ((String) high.get(13)).length());
        assertArrayEquals(new byte[] {0, 1, (byte) 255}, (byte[]) low.get(14));
        assertArrayEquals(new byte[] {(byte) 0x80}, (byte[]) low.get(15));
        assertArrayEquals(new byte[0], (byte[]) high.get(14));
        assertArrayEquals(new byte[] {'\\', 'x'}, (byte[]) high.get(15));
        assertEquals(List.of(-1, -800_000), low.subList(16, 18));
        assertEquals(List.of(10_957, 20_000), high.subList(16, 18));
        assertEquals(List.of(micros(-1), micros(-1_000), micros(-2), micros(0)), low.subList(18, 22));
        assertEquals(List.of(micros(1_700_000_000_123_456L), micros(1_700_000_000_123_000L),
                micros(1_700_000_000_123_456L), micros(4_102_444_800_000_000L)), high.subList(18, 22));
        assertEquals(946_684_800_000_000L, low.get(22));
        assertEquals(-62_135_596_800_000_000L, high.get(22));
        List<Object> nulls = new ArrayList<>();
        rows.get(1).forEach(nulls::add);
        nulls.forEach(value -> assertNull(value, "row 1 is all null"));
        assertNull(low.get(23));
    }

    @Test
    void decimalsKeepEveryDigitThroughTheBinaryNumericFormat() throws Exception {
        List<BigDecimal> values = new ArrayList<>(List.of(new BigDecimal("0E-10"), new BigDecimal("0.0000000001"),
                new BigDecimal("-0.0001000000"), new BigDecimal("10000.0000000000"), new BigDecimal("9999.9999999999"),
                new BigDecimal("-1234567890123456789012345678.0000000001"),
                new BigDecimal("9999999999999999999999999999.9999999999")));
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 500; i++) {
            values.add(new BigDecimal(new java.math.BigInteger(random.nextInt(120) + 1, random), 10));
        }
        Schema decimals = new Schema(List.of(field("d", new ArrowType.Decimal(38, 10, 128))));
        TableLocation table = new TableLocation(schema, "decimals");
        try (ArrowReader data = new TestBatches(allocator, decimals, 1, (root, batch) -> {
            for (int r = 0; r < values.size(); r++) {
                ((DecimalVector) root.getVector(0)).setSafe(r, values.get(r));
            }
            root.setRowCount(values.size());
        })) {
            store.writeArrow(table, data, TableSpec.NONE);
        }
        try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
            assertEquals(values, TestBatches.rows(read).stream().map(row -> row.get(0)).toList());
        }
    }

    @Test
    void unconstrainedNumericReadsAsDecimal38Scale10() throws Exception {
        try (ArrowReader read = store.query("SELECT 1 / 3::numeric AS third", allocator)) {
            assertEquals(new ArrowType.Decimal(38, 10, 128), read.getVectorSchemaRoot().getSchema().getFields().get(0).getType());
            assertEquals(List.of(List.of(new BigDecimal("0.3333333333"))), TestBatches.rows(read));
        }
        try (ArrowReader read = store.query("SELECT 10::numeric ^ 30 AS huge", allocator)) {
            dev.weir.engine.store.StoreException e = org.junit.jupiter.api.Assertions.assertThrows(
                    dev.weir.engine.store.StoreException.class, read::loadNextBatch);
            assertTrue(e.getMessage().contains("'huge'") && e.getMessage().contains("numeric(p,s)"), e.getMessage());
        }
    }

    private static LocalDateTime micros(long micros) {
        return LocalDateTime.ofEpochSecond(Math.floorDiv(micros, 1_000_000L),
                (int) Math.floorMod(micros, 1_000_000L) * 1_000, java.time.ZoneOffset.UTC);
    }

    private static final Schema NUMBERS = new Schema(List.of(
            field("id", new ArrowType.Int(64, true)), field("label", ArrowType.Utf8.INSTANCE)));

    /** {@code batches} batches of {@code size} rows: id = running number, label = "row <id>". */
    private TestBatches numbers(int batches, int size) {
        return new TestBatches(allocator, NUMBERS, batches, (root, batch) -> {
            BigIntVector id = (BigIntVector) root.getVector("id");
            VarCharVector label = (VarCharVector) root.getVector("label");
            for (int r = 0; r < size; r++) {
                long value = (long) batch * size + r;
                id.setSafe(r, value);
                label.setSafe(r, ("row " + value).getBytes(StandardCharsets.UTF_8));
            }
            root.setRowCount(size);
        });
    }

    /**
     * A written table's rows are frozen (COPY FREEZE): a transaction whose snapshot is older than the write
     * sees them, which it would not for rows carrying the writing transaction's id; their readers need not
     * set hint bits on every page first.
     */
    @Test
    void writtenRowsAreFrozen() throws Exception {
        TableLocation table = new TableLocation(schema, "frozen");
        try (java.sql.Connection older = server.connection(); java.sql.Statement s = older.createStatement()) {
            older.setAutoCommit(false);
            s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            s.executeQuery("SELECT 1").close(); // takes the snapshot
            try (ArrowReader data = numbers(3, 1_000)) {
                assertEquals(3_000, store.writeArrow(table, data, TableSpec.NONE));
            }
            try (java.sql.ResultSet rs = s.executeQuery("SELECT count(*) FROM " + store.sqlName(table))) {
                rs.next();
                assertEquals(3_000, rs.getLong(1));
            }
            older.rollback();
        }
    }

    @Test
    void manyBatchesAreWrittenInOrderAndCounted() throws Exception {
        TableLocation table = new TableLocation(schema, "many_batches");
        try (ArrowReader data = numbers(25, 4_000)) {
            assertEquals(100_000, store.writeArrow(table, data, TableSpec.NONE));
        }
        assertEquals(100_000, store.rowCount(table));
        try (ArrowReader read = store.query("SELECT sum(id), count(DISTINCT label) FROM " + store.sqlName(table), allocator)) {
            List<List<Object>> rows = TestBatches.rows(read);
            assertEquals(List.of(List.of(new BigDecimal("4999950000.0000000000"), 100_000L)), rows);
        }
    }

    @Test
    void readingComesInBatchesOfAtMostBatchRows() throws Exception {
        TableLocation table = new TableLocation(schema, "bounded_reads");
        try (ArrowReader data = numbers(1, 10_001)) {
            store.writeArrow(table, data, TableSpec.NONE);
        }
        List<Integer> sizes = new ArrayList<>();
        try (ArrowReader read = store.readArrow(table, allocator, new ReadOptions(List.of(), null, 1_000))) {
            while (read.loadNextBatch()) {
                sizes.add(read.getVectorSchemaRoot().getRowCount());
            }
        }
        assertEquals(11, sizes.size());
        assertTrue(sizes.stream().allMatch(n -> n <= 1_000));
        assertEquals(10_001, sizes.stream().mapToInt(Integer::intValue).sum());
    }

    @Test
    void readOptionsSelectColumnsAndRows() throws Exception {
        TableLocation table = new TableLocation(schema, "options");
        try (ArrowReader data = numbers(1, 100)) {
            store.writeArrow(table, data, TableSpec.NONE);
        }
        ReadOptions options = new ReadOptions(List.of("label"), "id >= 97 OR id = 3", 10);
        try (ArrowReader read = store.readArrow(table, allocator, options)) {
            assertEquals(List.of("label"), read.getVectorSchemaRoot().getSchema().getFields().stream()
                    .map(Field::getName).toList());
            assertEquals(List.of(List.of("row 3"), List.of("row 97"), List.of("row 98"), List.of("row 99")),
                    TestBatches.rows(read).stream().sorted((a, b) -> ((String) a.get(0)).compareTo((String) b.get(0)))
                            .toList());
        }
    }

    @Test
    void anEmptyTableIsCreatedWithItsColumns() throws Exception {
        TableLocation table = new TableLocation(schema, "empty");
        try (ArrowReader data = numbers(0, 0)) {
            assertEquals(0, store.writeArrow(table, data, TableSpec.NONE));
        }
        try (ArrowReader read = store.readArrow(table, allocator, ReadOptions.ALL)) {
            assertEquals(NUMBERS.getFields().size(), read.getVectorSchemaRoot().getSchema().getFields().size());
            assertEquals(List.of(), TestBatches.rows(read));
        }
    }

    @Test
    void writingAgainReplacesTheTable() throws Exception {
        TableLocation table = new TableLocation(schema, "replaced");
        try (ArrowReader data = numbers(1, 10)) {
            store.writeArrow(table, data, TableSpec.NONE);
        }
        try (ArrowReader data = numbers(1, 4)) {
            store.writeArrow(table, data, TableSpec.NONE);
        }
        assertEquals(4, store.rowCount(table));
        assertEquals(Map.of(), Map.of());
    }
}
