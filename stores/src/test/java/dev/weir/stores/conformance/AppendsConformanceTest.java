package dev.weir.stores.conformance;

import static dev.weir.stores.ArrowFixtures.idNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.AppendResult;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSlice;
import dev.weir.engine.store.TableSpec;
import dev.weir.stores.ArrowFixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tables filled in slices (a batched task's chunks): slices appended to a created table make one table
 * with its keys, and the store's chunk ledger appends each slice once, whatever retries, failures,
 * concurrent appends and re-created tables happen; appended rows become visible when the stage commits.
 */
public abstract class AppendsConformanceTest extends TableStoreFixture {

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
}
