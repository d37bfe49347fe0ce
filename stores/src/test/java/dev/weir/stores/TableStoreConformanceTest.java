package dev.weir.stores;

import static dev.weir.stores.ArrowFixtures.idNames;
import static dev.weir.stores.ArrowFixtures.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.batch.IntegerBuckets;
import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every table store must do, as the engine relies on it. A store's test extends this class and
 * says how to open a store; server-backed stores override the hooks.
 *
 * <p>Every test allocates from one {@link RootAllocator} closed after it: a leaked Arrow buffer
 * fails the test.
 */
public abstract class TableStoreConformanceTest {

    protected static final String STAGE = "raw";

    @TempDir
    protected Path workDir;

    protected BufferAllocator allocator;
    protected TableStore store;

    /** Opens (without init) a store of instance {@code instanceId} keeping local files in {@code workDir}. */
    protected abstract TableStore openStore(String instanceId, Path workDir);

    /** The number of indexes (primary key excluded) on a table. */
    protected abstract int indexCount(TableStore store, TableLocation location);

    /**
     * The field a store reads back for a written field: the same, unless the database has no exact
     * counterpart and widens the type (e.g. PostgreSQL has no one-byte integer). Stores document
     * every such widening; the values round-trip unchanged.
     */
    protected Field asRead(Field written) {
        return written;
    }

    /** Integral values as longs: a store that widens a type returns the same number in a wider class. */
    protected static List<Object> widened(List<Object> values) {
        return values.stream().map(v -> v instanceof Byte || v instanceof Short || v instanceof Integer
                ? (Object) ((Number) v).longValue() : v).toList();
    }

    /** Makes the store's metadata look written by another Weir version. */
    protected void corruptMetadataVersion(TableStore store) {
        store.executeScript("UPDATE weir_metadata.version SET version = 999");
    }

    @BeforeEach
    void openAllocatorAndStore() {
        allocator = new RootAllocator();
        store = openStore("main", workDir);
        store.init();
    }

    @AfterEach
    void closeStoreAndCheckLeaks() {
        if (store != null) {
            store.close();
        }
        allocator.close();
    }

    protected TableLocation inTransaction(String table) {
        return new TableLocation(store.transactionSchema(STAGE), table);
    }

    protected TableLocation committed(String table) {
        return new TableLocation(store.committedSchema(STAGE), table);
    }

    protected long write(TableLocation target, long firstId, int batches, int rows, TableSpec spec) {
        try (ArrowReader data = idNames(allocator, firstId, batches, rows)) {
            return store.writeArrow(target, data, spec);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected List<List<Object>> read(TableLocation source, ReadOptions options) {
        try (ArrowReader reader = store.readArrow(source, allocator, options)) {
            return rows(reader);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected List<List<Object>> query(String sql) {
        try (ArrowReader reader = store.query(sql, allocator)) {
            return rows(reader);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    protected static TaskRecord record(String task, String key, String runId) {
        return new TaskRecord(STAGE, task, key, "{\"tables\":[\"" + task + "\"]}", runId, Instant.parse("2025-01-02T03:04:05.123456Z"));
    }

    // ------------------------------------------------------------------ Arrow round trip

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
                            .map(TableStoreConformanceTest::zoneless).toList(),
                    fields.stream().map(TableStoreConformanceTest::zoneless).toList());
            assertTrue(fields.get(11).getType() instanceof ArrowType.Timestamp ts && ts.getTimezone() != null,
                    "a timestamp with zone keeps a zone (the instant is what round-trips): " + fields.get(11));
            List<List<Object>> rows = rows(reader);
            assertEquals(3, rows.size());
            assertEquals(widened(List.of((byte) -128, (short) -32768, Integer.MIN_VALUE, Long.MIN_VALUE, 1.5f, Math.PI,
                    new BigDecimal("123456789.123"), true, "Zürich ✓", 
                    (int) java.time.LocalDate.of(1969, 12, 31).toEpochDay(),
                    LocalDateTime.of(2023, 11, 14, 22, 13, 20, 123_456_000), 1_700_000_000_654_321L, "0x0001ff")),
                    widened(rows.get(0).stream().map(TableStoreConformanceTest::dateAsDays).toList()));
            assertEquals(widened(List.of((byte) 127, (short) 32767, Integer.MAX_VALUE, Long.MAX_VALUE, -0.25f, -1e300,
                    new BigDecimal("-0.001"), false, "", (int) java.time.LocalDate.of(2024, 2, 29).toEpochDay(),
                    LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_999_000), 0L, "0x")),
                    widened(rows.get(1).stream().map(TableStoreConformanceTest::dateAsDays).toList()));
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

    // ------------------------------------------------------------------ tables filled in slices

    protected AppendResult append(TableLocation target, long firstId, int rows, TableSlice slice) {
        try (ArrowReader data = idNames(allocator, firstId, 1, rows)) {
            return store.appendArrow(target, data, slice);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void slicesAppendedToACreatedTableMakeOneTableWithItsKeys() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        assertEquals(0, store.rowCount(target));
        assertEquals(new AppendResult(10, false, 1), append(target, 1, 10, new TableSlice(0, 1)));
        assertEquals(new AppendResult(5, false, 1), append(target, 11, 5, new TableSlice(1, 1)));
        assertEquals(new AppendResult(0, false, 1), append(target, 16, 0, new TableSlice(2, 1)));
        store.sealTable(target, new TableSpec(List.of("id"), List.of(List.of("name"))));

        assertEquals(15, store.rowCount(target));
        assertEquals(List.of(List.of(15L, 120L)), query("SELECT count(DISTINCT id), CAST(sum(id) AS BIGINT) FROM "
                + store.sqlName(target)));
        assertEquals(1, indexCount(store, target));
        String duplicate = "INSERT INTO " + store.sqlName(target) + " VALUES (3, 'again')";
        assertThrows(StoreException.class, () -> store.executeScript(duplicate), "the primary key is in place");
    }

    @Test
    void aSliceWhoseAppendCommittedIsNotAppendedAgain() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        append(target, 1, 10, new TableSlice(0, 1));

        AppendResult again = append(target, 101, 7, new TableSlice(0, 2));
        assertEquals(new AppendResult(10, true, 1), again, "the ledger answers with the first attempt's rows");
        assertEquals(10, store.rowCount(target));
        assertEquals(List.of(List.of(55L)), query("SELECT CAST(sum(id) AS BIGINT) FROM " + store.sqlName(target)));
    }

    @Test
    void concurrentAppendsOfDifferentSlicesAllLand() throws Exception {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
            for (int slice = 0; slice < 8; slice++) {
                int index = slice;
                appends.add(CompletableFuture.supplyAsync(() -> {
                    try (ArrowReader data = idNames(allocator, index * 1_000L, 2, 500)) {
                        return store.appendArrow(target, data, new TableSlice(index, 1));
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, threads));
            }
            for (CompletableFuture<AppendResult> append : appends) {
                assertEquals(new AppendResult(1_000, false, 1), append.get(60, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        store.sealTable(target, new TableSpec(List.of("id"), List.of()));
        assertEquals(List.of(List.of(8_000L, 8_000L)), query("SELECT count(*), count(DISTINCT id) FROM "
                + store.sqlName(target)));
    }

    @Test
    void aFailedAppendLeavesNoRowAndTheSliceCanBeAppendedAgain() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        append(target, 1, 10, new TableSlice(0, 1));
        try (ArrowReader failing = ArrowFixtures.failingAfter(allocator, idNames(allocator, 11, 3, 100), 1)) {
            assertThrows(RuntimeException.class, () -> store.appendArrow(target, failing, new TableSlice(1, 1)));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(10, store.rowCount(target), "the failed slice's first batch is rolled back");

        assertEquals(new AppendResult(300, false, 2), appendBatches(target, 11, 3, 100, new TableSlice(1, 2)));
        assertEquals(310, store.rowCount(target));
    }

    private AppendResult appendBatches(TableLocation target, long firstId, int batches, int rows, TableSlice slice) {
        try (ArrowReader data = idNames(allocator, firstId, batches, rows)) {
            return store.appendArrow(target, data, slice);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aSliceWithOtherColumnsIsRefusedNamingThem() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        org.apache.arrow.vector.types.pojo.Schema other = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable("id", new ArrowType.Int(64, true)), Field.nullable("label", ArrowType.Utf8.INSTANCE)));
        try (ArrowReader data = ArrowFixtures.stream(allocator, other, 1, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.BigIntVector) root.getVector("id")).setSafe(0, 1L);
            root.setRowCount(1);
        })) {
            StoreException error = assertThrows(StoreException.class,
                    () -> store.appendArrow(target, data, new TableSlice(0, 1)));
            assertTrue(error.getMessage().contains("label") && error.getMessage().contains("scores"), error.getMessage());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(0, store.rowCount(target));
        assertEquals(new AppendResult(4, false, 2), append(target, 1, 4, new TableSlice(0, 2)),
                "the refused append left no claim on its slice");
    }

    @Test
    void valuesOfAnotherTypeAreCastAndNullColumnsFitAnyType() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        org.apache.arrow.vector.types.pojo.Schema narrow = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable("name", ArrowType.Null.INSTANCE), Field.nullable("id", new ArrowType.Int(32, true))));
        try (ArrowReader data = ArrowFixtures.stream(allocator, narrow, 1, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.IntVector) root.getVector("id")).setSafe(0, 7);
            ((org.apache.arrow.vector.IntVector) root.getVector("id")).setSafe(1, 8);
            root.setRowCount(2);
        })) {
            assertEquals(2, store.appendArrow(target, data, new TableSlice(0, 1)).rows());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertEquals(List.of(List.of(7L, "null"), List.of(8L, "null")), query("SELECT id, coalesce(name, 'null') FROM "
                + store.sqlName(target) + " ORDER BY id"));
    }

    @Test
    void creatingATableAgainEmptiesItAndForgetsItsSlices() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        append(target, 1, 10, new TableSlice(0, 1));
        store.createTable(target, ArrowFixtures.ID_NAME);
        assertEquals(0, store.rowCount(target));
        assertEquals(new AppendResult(3, false, 1), append(target, 1, 3, new TableSlice(0, 1)));

        store.dropTable(target);
        assertFalse(store.exists(target));
        store.createTable(target, ArrowFixtures.ID_NAME);
        assertEquals(new AppendResult(2, false, 1), append(target, 1, 2, new TableSlice(0, 1)),
                "dropping a table forgets its slices too");
    }

    @Test
    void appendedRowsBecomeVisibleOnlyWhenTheStageCommits() {
        store.beginStage(STAGE);
        write(inTransaction("scores"), 1, 1, 3, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");

        store.beginStage(STAGE);
        TableLocation target = inTransaction("scores");
        store.createTable(target, ArrowFixtures.ID_NAME);
        append(target, 1, 10, new TableSlice(0, 1));
        append(target, 11, 10, new TableSlice(1, 1));
        assertEquals(3, store.rowCount(committed("scores")), "readers of the committed stage see the old table");
        store.abortStage(STAGE);
        assertEquals(3, store.rowCount(committed("scores")));

        store.beginStage(STAGE);
        store.createTable(inTransaction("scores"), ArrowFixtures.ID_NAME);
        assertEquals(new AppendResult(10, false, 1), append(inTransaction("scores"), 1, 10, new TableSlice(0, 1)),
                "the aborted stage's slices are forgotten");
        store.sealTable(inTransaction("scores"), TableSpec.NONE);
        assertEquals(3, store.rowCount(committed("scores")));
        store.commitStage(STAGE, "test_flow");
        assertEquals(10, store.rowCount(committed("scores")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Order", "a-b", "select", "it's", "quote\"d", "MiXed Case"})
    void hostileIdentifiersAreQuotedWhenAppending(String name) {
        store.beginStage(name);
        TableLocation target = new TableLocation(store.transactionSchema(name), name);
        org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable(name, new ArrowType.Int(64, true))));
        store.createTable(target, schema);
        for (int slice = 0; slice < 2; slice++) {
            long value = slice;
            try (ArrowReader data = ArrowFixtures.stream(allocator, schema, 1, (root, batch) -> {
                root.allocateNew();
                ((org.apache.arrow.vector.BigIntVector) root.getVector(0)).setSafe(0, value);
                root.setRowCount(1);
            })) {
                assertEquals(1, store.appendArrow(target, data, new TableSlice(slice, 1)).rows());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        store.sealTable(target, new TableSpec(List.of(name), List.of(List.of(name))));
        store.commitStage(name, "test_flow");
        assertEquals(2, store.rowCount(new TableLocation(store.committedSchema(name), name)));
    }

    // ------------------------------------------------------------------ keys, SQL, copies

    @Test
    void primaryKeyRejectsDuplicateRows() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("keyed");
        write(target, 1, 1, 5, new TableSpec(List.of("id"), List.of()));
        String insert = "INSERT INTO " + store.sqlName(target) + " VALUES (1, 'again')";
        StoreException error = assertThrows(StoreException.class, () -> store.executeScript(insert));
        assertEquals(insert, error.sql());
        assertEquals(5, store.rowCount(target));
    }

    @Test
    void duplicateKeysInTheDataFailTheWriteAndLeaveNoTable() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("keyed");
        try (ArrowReader data = ArrowFixtures.stream(allocator, ArrowFixtures.ID_NAME, 2, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.BigIntVector) root.getVector("id")).setSafe(0, 7L);
            root.setRowCount(1);
        })) {
            StoreException error = assertThrows(StoreException.class,
                    () -> store.writeArrow(target, data, new TableSpec(List.of("id"), List.of())));
            assertTrue(error.getMessage().contains("keyed"), error.getMessage());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertFalse(store.exists(target));
        StoreException error = assertThrows(StoreException.class, () -> store.writeSql(target,
                "SELECT 1 AS id UNION ALL SELECT 1", new TableSpec(List.of("id"), List.of())));
        assertTrue(error.getMessage().contains("keyed"), error.getMessage());
        assertFalse(store.exists(target));
    }

    @Test
    void indexesAreCreated() {
        store.beginStage(STAGE);
        TableLocation target = inTransaction("indexed");
        write(target, 1, 1, 5, new TableSpec(List.of("id"), List.of(List.of("name"), List.of("name", "id"))));
        assertEquals(2, indexCount(store, target));
    }

    @Test
    void writeSqlCreatesATableFromAQuery() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        long rows = store.writeSql(inTransaction("evens"),
                "SELECT * FROM " + store.sqlName(inTransaction("ids")) + " WHERE id % 2 = 0", TableSpec.NONE);
        assertTrue(rows == 5 || rows == -1, "rows: " + rows);
        assertEquals(5, store.rowCount(inTransaction("evens")));
    }

    @Test
    void writingReplacesATableOfTheSameName() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, new TableSpec(List.of("id"), List.of(List.of("name"))));
        write(inTransaction("ids"), 1, 1, 3, new TableSpec(List.of("id"), List.of(List.of("name"))));
        assertEquals(3, store.rowCount(inTransaction("ids")));
    }

    @Test
    void copyTableCarriesACacheHitForward() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");

        store.beginStage(STAGE);
        TableSpec keyed = new TableSpec(List.of("id"), List.of());
        store.copyTable(committed("ids"), inTransaction("ids"), keyed);
        String duplicate = "INSERT INTO " + store.sqlName(inTransaction("ids")) + " VALUES (1, 'again')";
        assertThrows(StoreException.class, () -> store.executeScript(duplicate));
        store.commitStage(STAGE, "test_flow");

        assertEquals(10, store.rowCount(committed("ids")));
        assertEquals(read(committed("ids"), ReadOptions.ALL).size(), 10);
    }

    // ------------------------------------------------------------------ stage transactions

    @Test
    void commitMakesTablesAndTaskRecordsVisible() {
        assertFalse(store.isCommitted(STAGE));
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        store.recordTask(record("load", "k1", "run-1"));
        assertFalse(store.exists(committed("ids")));
        store.commitStage(STAGE, "test_flow");

        assertTrue(store.isCommitted(STAGE));
        assertEquals(List.of("ids"), store.listTables(store.committedSchema(STAGE)));
        assertEquals(10, store.rowCount(committed("ids")));
        assertEquals(Optional.of(record("load", "k1", "run-1")), store.findTask(STAGE, "load", "k1"));
    }

    @Test
    void findTaskIgnoresUncommittedEntries() {
        store.beginStage(STAGE);
        store.recordTask(record("load", "k1", "run-1"));
        assertEquals(Optional.empty(), store.findTask(STAGE, "load", "k1"));
        assertEquals(Optional.empty(), store.findTask(STAGE, "load", "other-key"));
    }

    @Test
    void abortLeavesThePreviousCommitReadableWithItsRecords() {
        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 10, TableSpec.NONE);
        store.recordTask(record("load", "k1", "run-1"));
        store.commitStage(STAGE, "test_flow");
        Optional<String> version = store.stageVersion(STAGE);

        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 3, TableSpec.NONE);
        write(inTransaction("extra"), 1, 1, 3, TableSpec.NONE);
        store.recordTask(record("load", "k2", "run-2"));
        store.abortStage(STAGE);

        assertEquals(10, store.rowCount(committed("ids")));
        assertEquals(List.of("ids"), store.listTables(store.committedSchema(STAGE)));
        assertTrue(store.findTask(STAGE, "load", "k1").isPresent());
        assertEquals(Optional.empty(), store.findTask(STAGE, "load", "k2"));
        assertEquals(version, store.stageVersion(STAGE));
    }

    @Test
    void beginAfterAnUnfinishedRunStartsClean() {
        store.beginStage(STAGE);
        write(inTransaction("stale"), 1, 1, 3, TableSpec.NONE);
        store.recordTask(record("stale_task", "k0", "run-0"));
        // the run dies here: no commit, no abort

        store.beginStage(STAGE);
        assertEquals(List.of(), store.listTables(store.transactionSchema(STAGE)));
        write(inTransaction("ids"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");

        assertEquals(List.of("ids"), store.listTables(store.committedSchema(STAGE)));
        assertEquals(Optional.empty(), store.findTask(STAGE, "stale_task", "k0"));
    }

    // ------------------------------------------------------------------ kept attempts and orphans

    /** A failed attempt that wrote {@code done} (its task recorded) and {@code partial} (its task failed). */
    private void failAndKeep(String runId) {
        store.beginStage(STAGE);
        write(inTransaction("done"), 1, 1, 5, TableSpec.NONE);
        store.recordTask(record("done_task", "k-done", runId));
        write(inTransaction("partial"), 1, 1, 2, TableSpec.NONE);
        store.keepStage(STAGE, "flow-a", runId);
    }

    @Test
    void aKeptAttemptHoldsTheTablesAndEntriesOfItsFinishedTasksAndLeavesTheCommitAlone() {
        store.beginStage(STAGE);
        write(inTransaction("old"), 1, 1, 1, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");
        Optional<String> version = store.stageVersion(STAGE);

        failAndKeep("run-2");

        dev.weir.engine.store.KeptAttempt kept = store.keptAttempt(STAGE).orElseThrow();
        assertEquals("flow-a", kept.flow());
        assertEquals("run-2", kept.runId());
        assertEquals(List.of(record("done_task", "k-done", "run-2")), kept.tasks());
        assertEquals(java.util.Set.of("done", "partial"), kept.tables());
        assertEquals(Optional.empty(), store.findTask(STAGE, "done_task", "k-done"), "kept entries are not committed");
        assertEquals(List.of("old"), store.listTables(store.committedSchema(STAGE)));
        assertEquals(version, store.stageVersion(STAGE));
        assertEquals(Map.of(), store.dropOrphanedTransactions(), "a kept attempt is no orphan");
        assertTrue(store.keptAttempt(STAGE).isPresent());
    }

    @Test
    void resumingKeepsOnlyTheNamedTablesAndCommitsThemWithTheNewOnes() {
        failAndKeep("run-1");

        store.resumeStage(STAGE, java.util.Set.of("done"));
        assertEquals(List.of("done"), store.listTables(store.transactionSchema(STAGE)));
        assertEquals(Optional.empty(), store.keptAttempt(STAGE), "the resumed attempt is over");
        store.recordTask(record("done_task", "k-done", "run-2"));
        write(inTransaction("partial"), 1, 1, 3, TableSpec.NONE);
        store.recordTask(record("partial_task", "k-partial", "run-2"));
        store.commitStage(STAGE, "test_flow");

        assertEquals(List.of("done", "partial"), store.listTables(store.committedSchema(STAGE)));
        assertEquals(5, store.rowCount(committed("done")));
        assertEquals(3, store.rowCount(committed("partial")));
        assertTrue(store.findTask(STAGE, "done_task", "k-done").isPresent());
        assertEquals(Optional.empty(), store.keptAttempt(STAGE));
    }

    @Test
    void beginningAfreshDiscardsAKeptAttempt() {
        failAndKeep("run-1");
        store.beginStage(STAGE);
        assertEquals(List.of(), store.listTables(store.transactionSchema(STAGE)));
        assertEquals(Optional.empty(), store.keptAttempt(STAGE));
        store.commitStage(STAGE, "test_flow");
        assertEquals(Optional.empty(), store.findTask(STAGE, "done_task", "k-done"));
    }

    @Test
    void anAttemptWithNoFinishedTaskKeepsNothing() {
        store.beginStage(STAGE);
        write(inTransaction("partial"), 1, 1, 2, TableSpec.NONE);
        store.keepStage(STAGE, "flow-a", "run-1");
        assertEquals(Optional.empty(), store.keptAttempt(STAGE));
        assertEquals(List.of(), store.listTables(store.transactionSchema(STAGE)));
        assertEquals(Map.of(), store.dropOrphanedTransactions());
    }

    @Test
    void resumingATableTheKeptAttemptLacksFailsNamingIt() {
        failAndKeep("run-1");
        StoreException error = assertThrows(StoreException.class,
                () -> store.resumeStage(STAGE, java.util.Set.of("done", "ghost")));
        assertTrue(error.getMessage().contains("ghost"), error.getMessage());
        assertTrue(error.getMessage().contains("run-1"), error.getMessage());
        assertTrue(store.keptAttempt(STAGE).isPresent(), "a failed resume changes nothing");
    }

    @Test
    void aTransactionLeftByAKilledRunIsDroppedOnceByTheNextRunOfTheInstance() {
        store.beginStage(STAGE);
        write(inTransaction("kept_old"), 1, 1, 1, TableSpec.NONE);
        store.commitStage(STAGE, "test_flow");
        store.beginStage(STAGE);
        write(inTransaction("stale"), 1, 1, 3, TableSpec.NONE);
        store.recordTask(record("stale_task", "k0", "run-0"));
        String transaction = store.transactionSchema(STAGE);
        // the run dies here: no commit, no abort; the next run opens the store afresh
        try (TableStore next = openStore("main", workDir)) {
            next.init();
            try (TableStore otherInstance = openStore("other", workDir)) {
                otherInstance.init();
                assertEquals(Map.of(), otherInstance.dropOrphanedTransactions(), "another instance's are left alone");
            }
            assertEquals(Map.of(STAGE, transaction), next.dropOrphanedTransactions());
            assertEquals(List.of(), next.listTables(transaction));
            assertEquals(Map.of(), next.dropOrphanedTransactions(), "each orphan is dropped once");
            assertEquals(List.of("kept_old"), next.listTables(next.committedSchema(STAGE)));
            assertEquals(Optional.empty(), next.keptAttempt(STAGE));
        }
    }

    @Test
    void eachCommitReplacesTablesRecordsAndVersion() {
        store.beginStage(STAGE);
        write(inTransaction("a"), 1, 1, 1, TableSpec.NONE);
        store.recordTask(record("a", "k1", "run-1"));
        store.commitStage(STAGE, "test_flow");
        String first = store.stageVersion(STAGE).orElseThrow();

        store.beginStage(STAGE);
        write(inTransaction("b"), 1, 1, 2, TableSpec.NONE);
        store.recordTask(record("b", "k2", "run-2"));
        store.commitStage(STAGE, "test_flow");

        assertNotEquals(first, store.stageVersion(STAGE).orElseThrow());
        assertEquals(List.of("b"), store.listTables(store.committedSchema(STAGE)));
        assertEquals(Optional.empty(), store.findTask(STAGE, "a", "k1"));
        assertTrue(store.findTask(STAGE, "b", "k2").isPresent());
    }

    @Test
    void executeScriptCreatesSeveralTablesInOneTransaction() {
        store.beginStage(STAGE);
        String one = store.sqlName(inTransaction("one"));
        String two = store.sqlName(inTransaction("two"));
        store.executeScript("CREATE TABLE " + one + " AS SELECT 1 AS x;\nCREATE TABLE " + two + " AS SELECT 2 AS x;");
        assertEquals(List.of("one", "two"), store.listTables(store.transactionSchema(STAGE)));

        String failing = "CREATE TABLE " + store.sqlName(inTransaction("three")) + " AS SELECT 3 AS x;\n"
                + "SELECT * FROM no_such_table;";
        StoreException error = assertThrows(StoreException.class, () -> store.executeScript(failing));
        assertTrue(error.getMessage().contains("no_such_table"), error.getMessage());
        assertFalse(store.exists(inTransaction("three")), "a failed script leaves nothing behind");
    }

    // ------------------------------------------------------------------ names and errors

    @ParameterizedTest
    @ValueSource(strings = {"Order", "a-b", "select", "it's", "quote\"d", "MiXed Case"})
    void hostileIdentifiersAreQuotedEverywhere(String name) {
        store.beginStage(name);
        TableLocation target = new TableLocation(store.transactionSchema(name), name);
        store.writeSql(target, "SELECT 1 AS " + store.quote(name), new TableSpec(List.of(name), List.of(List.of(name))));
        store.recordTask(new TaskRecord(name, name, name, "{}", name, Instant.EPOCH));
        store.commitStage(name, "test_flow");

        TableLocation published = new TableLocation(store.committedSchema(name), name);
        assertEquals(List.of(name), store.listTables(store.committedSchema(name)));
        try (ArrowReader reader = store.readArrow(published, allocator,
                new ReadOptions(List.of(name), store.quote(name) + " = 1", 10))) {
            assertEquals(name, reader.getVectorSchemaRoot().getSchema().getFields().get(0).getName());
            assertEquals(List.of(List.of(1)), rows(reader));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertTrue(store.findTask(name, name, name).isPresent());
    }

    @Test
    void errorsCarryTheSqlAndNameTheTable() {
        store.beginStage(STAGE);
        StoreException error = assertThrows(StoreException.class,
                () -> store.writeSql(inTransaction("broken"), "SELEKT 1", TableSpec.NONE));
        assertTrue(error.sql().contains("SELEKT 1"), error.sql());
        assertTrue(error.getMessage().contains("broken"), error.getMessage());
        assertFalse(error.isTransient());
    }

    @Test
    void readingAMissingTableFailsNamingIt() {
        StoreException error = assertThrows(StoreException.class,
                () -> read(committed("missing"), ReadOptions.ALL));
        assertTrue(error.getMessage().contains("missing"), error.getMessage());
    }

    @Test
    void metadataVersionMismatchFailsInit() {
        corruptMetadataVersion(store);
        store.close();
        store = openStore("main", workDir);
        StoreException error = assertThrows(StoreException.class, store::init);
        assertTrue(error.getMessage().contains("999"), error.getMessage());
        assertTrue(error.getMessage().contains("weir_metadata"), error.getMessage());
    }

    // ------------------------------------------------------------------ other instances

    @Test
    void committedTablesOfAnotherInstanceCanBeRead() {
        var otherSettings = withOtherInstance("full", other -> {
            other.beginStage(STAGE);
            TableLocation target = new TableLocation(other.transactionSchema(STAGE), "orders");
            try (ArrowReader data = idNames(allocator, 1, 1, 4)) {
                other.writeArrow(target, data, TableSpec.NONE);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            other.commitStage(STAGE, "test_flow");
        });
        Map<String, String> tables = store.foreignStageTables(otherSettings, STAGE);
        assertEquals(List.of("orders"), List.copyOf(tables.keySet()));
        assertEquals(List.of(List.of(4L)), query("SELECT count(*) FROM " + tables.get("orders")));
        assertTrue(store.foreignStageVersion(otherSettings, STAGE).isPresent());
    }

    /** Opens, initializes and uses another instance's store, closes it, and returns its settings. */
    protected dev.weir.engine.store.StoreSettings withOtherInstance(String instanceId,
                                                                    java.util.function.Consumer<TableStore> use) {
        try (TableStore other = openStore(instanceId, workDir)) {
            other.init();
            use.accept(other);
            return other.settings();
        }
    }

    // ------------------------------------------------------------------ locks

    @Test
    void aSecondAcquirerWaitsThenTimesOutSayingWhatWasLocked() throws Exception {
        LockManager locks = store.locks();
        try (LockManager.Lock held = locks.acquire("main", Duration.ofSeconds(5), message -> { })) {
            List<String> waits = new ArrayList<>();
            LockManager.LockTimeoutException timeout = CompletableFuture.supplyAsync(() -> assertThrows(
                    LockManager.LockTimeoutException.class,
                    () -> locks.acquire("main", Duration.ofMillis(300), waits::add))).get(10, TimeUnit.SECONDS);
            assertEquals(1, waits.size(), "onWait is called once: " + waits);
            assertTrue(waits.get(0).contains("main"), waits.get(0));
            assertTrue(timeout.getMessage().contains("'main'"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("PT0.3S"), timeout.getMessage());
            assertTrue(timeout.getMessage().contains("(held by "), "names the holder: " + timeout.getMessage());
        }
        try (LockManager.Lock again = CompletableFuture.supplyAsync(() -> acquireQuietly(locks, "main"))
                .get(10, TimeUnit.SECONDS)) {
            again.close();
            again.close();
        }
    }

    @Test
    void aWaitingAcquirerGetsTheLockWhenReleased() throws Exception {
        LockManager locks = store.locks();
        LockManager.Lock held = locks.acquire("main", Duration.ofSeconds(5), message -> { });
        List<String> waits = new java.util.concurrent.CopyOnWriteArrayList<>();
        CompletableFuture<LockManager.Lock> waiter = CompletableFuture.supplyAsync(() -> {
            try {
                return locks.acquire("main", Duration.ofSeconds(10), waits::add);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (waits.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5); // until the waiter has found the lock taken and says it waits
        }
        assertEquals(1, waits.size(), "the second acquirer waits");
        assertFalse(waiter.isDone());
        held.close();
        try (LockManager.Lock acquired = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(1, waits.size());
        }
    }

    @Test
    void tryAcquireTakesAFreeLockAndReturnsAtOnceWhenItIsHeld() throws Exception {
        LockManager locks = store.locks();
        LockManager.Lock held = locks.tryAcquire("main").orElseThrow(() -> new AssertionError("the lock was free"));
        long start = System.nanoTime();
        java.util.Optional<LockManager.Lock> second = CompletableFuture.supplyAsync(() -> locks.tryAcquire("main"))
                .get(10, TimeUnit.SECONDS);
        assertTrue(second.isEmpty(), "a held lock is not taken twice");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "tryAcquire does not wait");
        assertTrue(locks.describe("main").contains("main"), locks.describe("main"));
        held.close();
        try (LockManager.Lock again = CompletableFuture.supplyAsync(() -> locks.tryAcquire("main"))
                .get(10, TimeUnit.SECONDS).orElseThrow(() -> new AssertionError("the released lock is free"))) {
            assertNotEquals(held, again);
        }
    }

    @Test
    void aLockIsHeldUntilItIsClosed() throws Exception {
        LockManager.Lock lock = store.locks().acquire("held", Duration.ofSeconds(1), message -> { });
        assertTrue(lock.isHeld());
        lock.verify();
        lock.close();
        assertFalse(lock.isHeld());
        assertThrows(LockManager.LockLostException.class, lock::verify);
    }

    @Test
    void differentLockNamesDoNotBlockEachOther() throws Exception {
        LockManager locks = store.locks();
        try (LockManager.Lock a = locks.acquire("main/raw", Duration.ofSeconds(1), m -> { });
             LockManager.Lock b = locks.acquire("main/clean", Duration.ofSeconds(1), m -> { })) {
            assertNotEquals(a, b);
        }
    }

    // ------------------------------------------------------------------ names and owners

    /**
     * SQL holding user identifiers never goes through a format string: a {@code %} in a stage, table or
     * column name stays as it is, in every write path.
     */
    @ParameterizedTest
    @ValueSource(strings = {"a%%b", "a%nb", "%s", "100% \"sure\"", "it's a name", "naïve ünïcödé 表", "tab\there"})
    void namesWithPercentQuotesSpacesAndUnicodeSurviveEveryWrite(String name) {
        store.checkStageName(name);
        store.checkTableName(name);
        store.beginStage(name);
        String tx = store.transactionSchema(name);
        org.apache.arrow.vector.types.pojo.Schema schema = new org.apache.arrow.vector.types.pojo.Schema(List.of(
                Field.nullable(name, new ArrowType.Int(64, true))));
        try (ArrowReader data = oneValue(schema, 7)) {
            assertEquals(1, store.writeArrow(new TableLocation(tx, name), data, new TableSpec(List.of(name), List.of())));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TableLocation sliced = new TableLocation(tx, name + " sliced");
        store.createTable(sliced, schema);
        try (ArrowReader data = oneValue(schema, 8)) {
            assertEquals(1, store.appendArrow(sliced, data, new TableSlice(0, 1)).rows());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        store.sealTable(sliced, TableSpec.NONE);
        store.writeSql(new TableLocation(tx, name + " sql"), "SELECT * FROM " + store.sqlName(new TableLocation(tx, name)),
                TableSpec.NONE);
        store.commitStage(name, "flow " + name);

        String committed = store.committedSchema(name);
        assertEquals(List.of(name, name + " sliced", name + " sql"), store.listTables(committed));
        assertEquals(List.of(List.of(7L)), read(new TableLocation(committed, name), ReadOptions.ALL));
        assertEquals(List.of(List.of(8L)), read(new TableLocation(committed, name + " sliced"), ReadOptions.ALL));
        assertEquals(Optional.of("flow " + name), store.stageOwner(name));

        store.beginStage(name);
        store.copyTables(List.of(new dev.weir.engine.store.TableCopy(new TableLocation(committed, name + " sql"),
                new TableLocation(store.transactionSchema(name), name + " copy"), TableSpec.NONE)));
        store.commitStage(name, "flow " + name);
        assertEquals(List.of(List.of(7L)), read(new TableLocation(committed, name + " copy"), ReadOptions.ALL));
    }

    private ArrowReader oneValue(org.apache.arrow.vector.types.pojo.Schema schema, long value) {
        return ArrowFixtures.stream(allocator, schema, 1, (root, batch) -> {
            root.allocateNew();
            ((org.apache.arrow.vector.BigIntVector) root.getVector(0)).setSafe(0, value);
            root.setRowCount(1);
        });
    }

    /** The stage name whose committed schema would be {@code schema} (the test stores have no suffix). */
    private String stageNamed(String schema) {
        String committed = store.committedSchema(STAGE);
        assertTrue(committed.endsWith(STAGE), "the test stores add no schema suffix: " + committed);
        String prefix = committed.substring(0, committed.length() - STAGE.length());
        assertTrue(schema.startsWith(prefix), schema);
        return schema.substring(prefix.length());
    }

    @Test
    void aStageWhoseSchemaWouldBeAnotherStagesTransactionSchemaIsRefused() {
        String clash = stageNamed(store.transactionSchema(STAGE));
        StoreException error = assertThrows(StoreException.class, () -> store.checkStageName(clash));
        assertTrue(error.getMessage().contains("'" + clash + "'") && error.getMessage().contains("Rename the stage"),
                error.getMessage());
        store.checkStageName(STAGE);
    }

    @Test
    void emptyNamesAreRefused() {
        assertThrows(StoreException.class, () -> store.checkStageName(""));
        assertThrows(StoreException.class, () -> store.checkTableName(""));
    }

    @Test
    void theFlowThatCommittedAStageOwnsIt() {
        assertEquals(Optional.empty(), store.stageOwner(STAGE), "a stage never committed has no owner");
        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "first");
        assertEquals(Optional.of("first"), store.stageOwner(STAGE));

        store.beginStage(STAGE);
        store.abortStage(STAGE);
        assertEquals(Optional.of("first"), store.stageOwner(STAGE), "an aborted run takes nothing over");

        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "second");
        assertEquals(Optional.of("second"), store.stageOwner(STAGE));
    }

    @Test
    void aCommittedStageKnowsWhenItLastCommitted() throws Exception {
        assertEquals(Optional.empty(), store.committedAt(STAGE), "a stage never committed has no commit time");
        java.time.Instant before = java.time.Instant.now().minusSeconds(5);
        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "first");
        java.time.Instant first = store.committedAt(STAGE).orElseThrow();
        assertTrue(!first.isBefore(before) && !first.isAfter(java.time.Instant.now().plusSeconds(5)), first.toString());

        Thread.sleep(20);
        store.beginStage(STAGE);
        store.abortStage(STAGE);
        assertEquals(Optional.of(first), store.committedAt(STAGE), "an aborted run changes no commit time");

        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "first");
        assertTrue(store.committedAt(STAGE).orElseThrow().isAfter(first), "a commit moves the commit time");
    }

    /** Makes the metadata look written by layout 1, before stages had an owning flow. */
    protected void downgradeMetadataToUnownedStages(TableStore store) {
        store.executeScript("ALTER TABLE weir_metadata.stages DROP COLUMN flow; UPDATE weir_metadata.version SET version = 1");
    }

    @Test
    void metadataWithoutOwnersIsMigratedAndItsStagesAdopted() {
        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 2, TableSpec.NONE);
        store.commitStage(STAGE, "first");
        String version = store.stageVersion(STAGE).orElseThrow();
        downgradeMetadataToUnownedStages(store);
        store.close();

        store = openStore("main", workDir);
        store.init();
        assertEquals(Optional.empty(), store.stageOwner(STAGE), "a stage committed before owners were recorded");
        assertEquals(Optional.of(version), store.stageVersion(STAGE), "the migration keeps the stage's commit");
        assertEquals(2, store.rowCount(committed("t")));
        store.beginStage(STAGE);
        write(inTransaction("t"), 1, 1, 3, TableSpec.NONE);
        store.commitStage(STAGE, "adopter");
        assertEquals(Optional.of("adopter"), store.stageOwner(STAGE));
    }

    // ------------------------------------------------------------------ what an instance holds: clear and status

    /** Commits {@code stage} of {@code into} with table {@code t} of {@code rows} rows and one cache entry. */
    private void commitWithEntry(TableStore into, String stage, int rows) {
        into.beginStage(stage);
        try (ArrowReader data = idNames(allocator, 1, 1, rows)) {
            into.writeArrow(new TableLocation(into.transactionSchema(stage), "t"), data, TableSpec.NONE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        into.recordTask(new TaskRecord(stage, "task", "key-" + stage, "{}", "run-1", Instant.now()));
        into.commitStage(stage, "flow");
    }

    @Test
    void stagesListsTheStagesThisInstanceHoldsAndNoOtherInstances() {
        assertEquals(List.of(), store.stages());
        commitWithEntry(store, STAGE, 2);
        store.beginStage("begun_only");
        try (TableStore other = openStore("other", workDir)) {
            other.init();
            commitWithEntry(other, "theirs", 1);
            assertEquals(List.of("begun_only", STAGE), store.stages(), "sorted by name");
            assertEquals(List.of("theirs"), other.stages());
        }
    }

    @Test
    void storedStageSaysWhatDroppingItWouldDrop() {
        assertTrue(store.storedStage(STAGE).isEmpty(), "a stage never run holds nothing");
        commitWithEntry(store, STAGE, 2);
        dev.weir.engine.store.StoredStage stored = store.storedStage(STAGE);
        assertTrue(stored.committed());
        assertFalse(stored.transaction());
        assertEquals(1, stored.cacheEntries());
        assertEquals(Integer.valueOf(1), stored.schemas().get(store.committedSchema(STAGE)),
                "the committed schema holds table t: " + stored.schemas());
        assertEquals(2, stored.metadataRows(), "one cache entry, one commit record");

        store.beginStage(STAGE);
        assertTrue(store.storedStage(STAGE).transaction(), "a begun transaction is recorded");
        assertTrue(store.storedStage(STAGE).schemas().containsKey(store.transactionSchema(STAGE)),
                store.storedStage(STAGE).schemas().toString());
    }

    @Test
    void droppingAStageDropsItsSchemasAndMetadataAndLeavesOtherStagesAndInstances() {
        commitWithEntry(store, STAGE, 2);
        commitWithEntry(store, "kept_stage", 3);
        store.beginStage(STAGE);
        write(inTransaction("open_table"), 1, 1, 1, TableSpec.NONE);
        try (TableStore other = openStore("other", workDir)) {
            other.init();
            commitWithEntry(other, STAGE, 4);

            store.dropStage(STAGE);

            assertFalse(store.isCommitted(STAGE));
            assertEquals(Optional.empty(), store.stageOwner(STAGE));
            assertEquals(Optional.empty(), store.committedAt(STAGE));
            assertEquals(Optional.empty(), store.stageVersion(STAGE));
            assertEquals(List.of(), store.committedTasks(STAGE));
            assertEquals(Optional.empty(), store.findTask(STAGE, "task", "key-" + STAGE));
            assertFalse(store.exists(committed("t")));
            assertTrue(store.storedStage(STAGE).isEmpty(), store.storedStage(STAGE).toString());
            assertEquals(Map.of(), store.dropOrphanedTransactions(), "the open transaction is gone with the stage");
            assertEquals(List.of("kept_stage"), store.stages());

            assertEquals(3, store.rowCount(new TableLocation(store.committedSchema("kept_stage"), "t")));
            assertEquals(1, store.committedTasks("kept_stage").size());
            assertTrue(other.isCommitted(STAGE), "another instance's stage of that name stays");
            assertEquals(4, other.rowCount(new TableLocation(other.committedSchema(STAGE), "t")));
            assertEquals(1, other.committedTasks(STAGE).size());
        }

        // the stage runs again from nothing
        commitWithEntry(store, STAGE, 5);
        assertEquals(5, store.rowCount(committed("t")));
    }

    @Test
    void droppingAStageWithAKeptAttemptForgetsTheAttempt() {
        commitWithEntry(store, STAGE, 2);
        store.beginStage(STAGE);
        write(inTransaction("half"), 1, 1, 1, TableSpec.NONE);
        store.recordTask(record("half", "k", "run-2"));
        store.keepStage(STAGE, "flow", "run-2");
        store.dropStage(STAGE);
        assertEquals(Optional.empty(), store.keptAttempt(STAGE));
        assertTrue(store.storedStage(STAGE).isEmpty(), store.storedStage(STAGE).toString());
    }

    @Test
    void aCommittedTableHasASize() {
        commitWithEntry(store, STAGE, 20_000);
        // DuckDB knows a table's blocks once they are checkpointed, which closing the database does
        store.close();
        store = openStore("main", workDir);
        store.init();
        java.util.OptionalLong bytes = store.tableBytes(committed("t"));
        assertTrue(bytes.isPresent() && bytes.getAsLong() > 0, "size of 20,000 rows: " + bytes);
        assertEquals(java.util.OptionalLong.empty(), store.tableBytes(committed("no_such_table")));
    }

    private static dev.weir.engine.store.RunRecord run(String id, dev.weir.engine.store.RunRecord.Outcome outcome,
                                                       int ran) {
        return new dev.weir.engine.store.RunRecord(id, "flow", Instant.parse("2026-01-02T03:04:05.123Z"),
                Duration.ofMillis(1234), outcome, ran, 2, outcome == dev.weir.engine.store.RunRecord.Outcome.FAILED
                ? 1 : 0, 0);
    }

    @Test
    void recordedRunsAreListedNewestFirstForTheirInstanceOnly() {
        assertEquals(List.of(), store.lastRuns(10));
        store.recordRun(run("r1", dev.weir.engine.store.RunRecord.Outcome.SUCCEEDED, 3));
        store.recordRun(run("r2", dev.weir.engine.store.RunRecord.Outcome.FAILED, 1));
        store.recordRun(run("r3", dev.weir.engine.store.RunRecord.Outcome.CANCELLED, 0));
        try (TableStore other = openStore("other", workDir)) {
            other.init();
            other.recordRun(run("theirs", dev.weir.engine.store.RunRecord.Outcome.SUCCEEDED, 9));
            assertEquals(List.of("theirs"), other.lastRuns(10).stream().map(dev.weir.engine.store.RunRecord::runId)
                    .toList());
        }
        List<dev.weir.engine.store.RunRecord> runs = store.lastRuns(10);
        assertEquals(List.of("r3", "r2", "r1"), runs.stream().map(dev.weir.engine.store.RunRecord::runId).toList());
        assertEquals(run("r2", dev.weir.engine.store.RunRecord.Outcome.FAILED, 1), runs.get(1),
                "every field reads back as recorded");
        assertEquals(List.of("r3", "r2"), store.lastRuns(2).stream().map(dev.weir.engine.store.RunRecord::runId)
                .toList());

        store.forgetRuns();
        assertEquals(List.of(), store.lastRuns(10));
    }

    @Test
    void onlyTheLastRunsOfAnInstanceAreKept() {
        int recorded = dev.weir.engine.store.RunRecord.KEPT_PER_INSTANCE + 3;
        for (int i = 0; i < recorded; i++) {
            store.recordRun(run("r" + i, dev.weir.engine.store.RunRecord.Outcome.SUCCEEDED, i));
        }
        List<dev.weir.engine.store.RunRecord> runs = store.lastRuns(Integer.MAX_VALUE);
        assertEquals(dev.weir.engine.store.RunRecord.KEPT_PER_INSTANCE, runs.size());
        assertEquals("r" + (recorded - 1), runs.get(0).runId());
        assertEquals("r3", runs.get(runs.size() - 1).runId(), "the oldest three are forgotten");
    }

    private static LockManager.Lock acquireQuietly(LockManager locks, String name) {
        try {
            return locks.acquire(name, Duration.ofSeconds(1), message -> {
                throw new AssertionError("should not wait: " + message);
            });
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
