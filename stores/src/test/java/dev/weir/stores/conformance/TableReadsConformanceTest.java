package dev.weir.stores.conformance;

import static dev.weir.stores.ArrowFixtures.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.batch.IntegerBuckets;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.stores.ArrowFixtures;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;

/**
 * What a store gives back: every Arrow type round-trips with its nulls, reads come in batches of the
 * size asked for and with the columns and rows asked for, queries stream any result, fingerprints see
 * every changed value but no row order, and integer buckets computed in the store agree with the engine's.
 */
public abstract class TableReadsConformanceTest extends TableStoreFixture {

    /** The field the store under test reads back for a written field ({@link StoreUnderTest#asRead}). */
    protected Field asRead(Field written) {
        return storeUnderTest().asRead(written);
    }

    /** Integral values as longs: a store that widens a type returns the same number in a wider class. */
    protected static List<Object> widened(List<Object> values) {
        return values.stream().map(v -> v instanceof Byte || v instanceof Short || v instanceof Integer
                ? (Object) ((Number) v).longValue() : v).toList();
    }

    @Test
    void everyTypeRoundTripsWithNulls() throws Exception {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("all_types");
        try (ArrowReader data = ArrowFixtures.stream(allocator, ArrowFixtures.ALL_TYPES, 1,
                (root, batch) -> ArrowFixtures.fillAllTypes(root))) {
            assertEquals(3, store.writeArrow(target, data, TableSpec.NONE));
        }
        try (ArrowReader reader = store.readArrow(target, allocator, ReadOptions.ALL)) {
            List<Field> fields = reader.getVectorSchemaRoot().getSchema().getFields();
            assertEquals(ArrowFixtures.ALL_TYPES.getFields().stream().map(this::asRead)
                            .map(TableReadsConformanceTest::zoneless).toList(),
                    fields.stream().map(TableReadsConformanceTest::zoneless).toList());
            assertTrue(fields.get(11).getType() instanceof ArrowType.Timestamp ts && ts.getTimezone() != null,
                    "a timestamp with zone keeps a zone (the instant is what round-trips): " + fields.get(11));
            List<List<Object>> rows = rows(reader);
            assertEquals(3, rows.size());
            assertEquals(widened(List.of((byte) -128, (short) -32768, Integer.MIN_VALUE, Long.MIN_VALUE, 1.5f, Math.PI,
                    new BigDecimal("123456789.123"), true, "Zürich ✓", 
                    (int) java.time.LocalDate.of(1969, 12, 31).toEpochDay(),
                    LocalDateTime.of(2023, 11, 14, 22, 13, 20, 123_456_000), 1_700_000_000_654_321L, "0x0001ff")),
                    widened(rows.get(0).stream().map(TableReadsConformanceTest::dateAsDays).toList()));
            assertEquals(widened(List.of((byte) 127, (short) 32767, Integer.MAX_VALUE, Long.MAX_VALUE, -0.25f, -1e300,
                    new BigDecimal("-0.001"), false, "", (int) java.time.LocalDate.of(2024, 2, 29).toEpochDay(),
                    LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000), 0L, "0x")),
                    widened(rows.get(1).stream().map(TableReadsConformanceTest::dateAsDays).toList()));
            assertTrue(rows.get(2).stream().allMatch(v -> v == null), "third row is all nulls: " + rows.get(2));
        }
    }

    /** A store may name the zone of a timestamp differently (its session zone); the instant counts. */
    private static ArrowType zoneless(Field field) {
        return field.getType() instanceof ArrowType.Timestamp ts && ts.getTimezone() != null
                ? new ArrowType.Timestamp(ts.getUnit(), "*") : field.getType();
    }

    /** DateDayVector.getObject gives a LocalDateTime at midnight; compare as epoch days. */
    private static Object dateAsDays(Object value) {
        if (value instanceof LocalDateTime time && time.toLocalTime().equals(java.time.LocalTime.MIDNIGHT)
                && time.getYear() != 2023) {
            return (int) time.toLocalDate().toEpochDay();
        }
        return value;
    }

    @Test
    void multiBatchInputIsWrittenWholeAndReadInBatchesOfTheGivenSize() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("ids");
        assertEquals(3 * 5_000, write(target, 0, 3, 5_000, TableSpec.NONE));
        assertEquals(15_000, store.rowCount(target));
        try (ArrowReader reader = store.readArrow(target, allocator, new ReadOptions(List.of(), null, 4_096))) {
            List<Integer> sizes = ArrowFixtures.batchSizes(reader);
            assertEquals(15_000, sizes.stream().mapToInt(Integer::intValue).sum());
            assertTrue(sizes.stream().allMatch(size -> size <= 4_096), "batches: " + sizes);
            assertTrue(sizes.size() >= 4, "batches: " + sizes);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void readOptionsSelectColumnsAndRows() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("ids");
        write(target, 1, 1, 10, TableSpec.NONE);
        List<List<Object>> rows = read(target, new ReadOptions(List.of("name"), "id > 8", 100));
        assertEquals(List.of(List.of("name-9"), List.of("name-10")), rows);
    }

    @Test
    void queryStreamsAnyResult() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        assertEquals(List.of(List.of(55L)),
                query("SELECT CAST(sum(id) AS BIGINT) FROM " + store.sqlName(inTransaction("ids"))));
    }

    @Test
    void equalRowsInAnyOrderHaveEqualFingerprints() {
        store.beginStage(STAGE);
        write(inTransaction("ascending"), 1, 2, 50, TableSpec.NONE);
        store.writeSql(inTransaction("descending"), "SELECT * FROM " + store.sqlName(inTransaction("ascending"))
                + " ORDER BY id DESC", TableSpec.NONE);
        assertEquals(store.fingerprint(inTransaction("ascending"), null),
                store.fingerprint(inTransaction("descending"), null));
        assertEquals(store.fingerprint(inTransaction("ascending"), "id <= 10"),
                store.fingerprint(inTransaction("descending"), "id <= 10"));
    }

    @Test
    void oneChangedValueOrADuplicatedRowChangesTheFingerprint() {
        store.beginStage(STAGE);
        TableLocation ids = inTransaction("ids");
        write(ids, 1, 1, 20, TableSpec.NONE);
        String before = store.fingerprint(ids, null);
        String untouchedPart = store.fingerprint(ids, "id > 5");
        store.executeScript("UPDATE " + store.sqlName(ids) + " SET name = 'changed' WHERE id = 3");
        assertNotEquals(before, store.fingerprint(ids, null));
        assertEquals(untouchedPart, store.fingerprint(ids, "id > 5"), "rows outside the change keep their fingerprint");
        String changed = store.fingerprint(ids, null);
        store.executeScript("INSERT INTO " + store.sqlName(ids) + " SELECT * FROM " + store.sqlName(ids) + " WHERE id = 7");
        assertNotEquals(changed, store.fingerprint(ids, null), "a duplicated row does not cancel out");
        assertNotEquals(store.fingerprint(ids, "id = 1"), store.fingerprint(ids, "id = 2"));
    }

    /**
     * The engine splits batched tasks by integer keys with {@link IntegerBuckets}, in the store for
     * tables there and in Java for inlined tables: both must put every row in the same bucket, for
     * the extremes of each type, negative keys, multiples of the modulus and NULL keys.
     */
    @Test
    void integerBucketsInTheStoreAgreeWithTheEngineForEveryKey() {
        long p = Integer.MAX_VALUE;
        List<Long> edges = new ArrayList<>(java.util.Arrays.asList(null, Long.MIN_VALUE, Long.MIN_VALUE + 1,
                Long.MAX_VALUE, Long.MAX_VALUE - 1, -1L, 0L, 1L, p - 1, p, p + 1, -p, -p - 1, 2 * p, -2 * p,
                (long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE));
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 300; i++) {
            edges.add(i % 3 == 0 ? random.nextLong() : (long) random.nextInt(2_000) - 1_000);
        }
        List<Integer> small = edges.stream().map(v -> v == null || v % 5 == 0 ? null
                : (int) (v % Integer.MAX_VALUE)).toList();
        org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable("a", new ArrowType.Int(64, true)), Field.nullable("b", new ArrowType.Int(32, true))));
        store.beginStage(STAGE);
        try (ArrowReader data = ArrowFixtures.stream(allocator, schema, 1, (root, batch) -> {
            root.allocateNew();
            for (int i = 0; i < edges.size(); i++) {
                org.apache.arrow.vector.BigIntVector a = (org.apache.arrow.vector.BigIntVector) root.getVector("a");
                org.apache.arrow.vector.IntVector b = (org.apache.arrow.vector.IntVector) root.getVector("b");
                if (edges.get(i) == null) {
                    a.setNull(i);
                } else {
                    a.setSafe(i, edges.get(i));
                }
                if (small.get(i) == null) {
                    b.setNull(i);
                } else {
                    b.setSafe(i, small.get(i));
                }
            }
            root.setRowCount(edges.size());
        })) {
            store.writeArrow(inTransaction("keys"), data, TableSpec.NONE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String a = store.quote("a");
        String b = store.quote("b");
        for (int buckets : new int[] {1, 7, 50}) {
            List<List<Object>> rows = query("SELECT a, b, " + IntegerBuckets.sql(List.of(a), buckets) + ", "
                    + IntegerBuckets.sql(List.of(b), buckets) + ", " + IntegerBuckets.sql(List.of(a, b), buckets)
                    + " FROM " + store.sqlName(inTransaction("keys")));
            assertEquals(edges.size(), rows.size());
            for (List<Object> row : rows) {
                Long keyA = row.get(0) == null ? null : ((Number) row.get(0)).longValue();
                Long keyB = row.get(1) == null ? null : ((Number) row.get(1)).longValue();
                List<Object> expected = List.of(IntegerBuckets.bucket(java.util.Arrays.asList(keyA), buckets),
                        IntegerBuckets.bucket(java.util.Arrays.asList(keyB), buckets),
                        IntegerBuckets.bucket(java.util.Arrays.asList(keyA, keyB), buckets));
                assertEquals(expected, row.subList(2, 5).stream().map(v -> ((Number) v).intValue()).toList(),
                        "buckets of " + buckets + " for a = " + keyA + ", b = " + keyB);
            }
        }
    }

    @Test
    void readingAMissingTableFailsNamingIt() {
        StoreException error = assertThrows(StoreException.class,
                () -> read(committed("missing"), ReadOptions.ALL));
        assertTrue(error.getMessage().contains("missing"), error.getMessage());
    }
}
