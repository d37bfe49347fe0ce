package dev.weir.stores.conformance;

import static dev.weir.stores.ArrowFixtures.idNames;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TaskRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.Test;

/**
 * What the store's metadata knows about the stages of an instance: which flow owns a stage and when it
 * last committed, which stages the instance holds and what dropping one drops, table sizes, the runs
 * recorded, the metadata layout's version and its migration, and other instances' committed stages.
 */
public abstract class StageMetadataConformanceTest extends TableStoreFixture {

    /** Makes the store's metadata look written by another Weir version ({@link StoreUnderTest#corruptMetadataVersion}). */
    protected void corruptMetadataVersion(TableStore store) {
        storeUnderTest().corruptMetadataVersion(store);
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
}
