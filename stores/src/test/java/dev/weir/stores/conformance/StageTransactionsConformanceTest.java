package dev.weir.stores.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A stage's transaction: commit publishes its tables and task records at once, abort and an unfinished
 * run leave the previous commit as it was, a failed attempt keeps its finished tasks' tables for a resume,
 * and a transaction left by a killed run is dropped once by the next run of the same instance.
 */
public abstract class StageTransactionsConformanceTest extends TableStoreFixture {

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

    /**
     * The commit marker tells a run whether a commit whose acknowledgement was lost committed: it moves with
     * every commit, also one with the same tables and cache entries as the last (a run of cache hits only),
     * and with nothing else: not an abort, a kept attempt, or a commit that fails.
     */
    @Test
    void theCommitMarkerMovesWithEachCommitAndWithNothingElse() {
        assertEquals(Optional.empty(), store.commitMarker(STAGE), "a stage never committed has no marker");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int commit = 1; commit <= 3; commit++) {
            store.beginStage(STAGE);
            write(inTransaction("ids"), 1, 1, 2, TableSpec.NONE);
            store.recordTask(record("load", "k1", "run-1")); // the same entry each time: the version may repeat
            store.commitStage(STAGE, "test_flow");
            String marker = store.commitMarker(STAGE).orElseThrow();
            assertTrue(seen.add(marker), "commit " + commit + " left the marker of an earlier one: " + marker);
        }
        Optional<String> last = store.commitMarker(STAGE);

        store.beginStage(STAGE);
        write(inTransaction("ids"), 1, 1, 3, TableSpec.NONE);
        store.abortStage(STAGE);
        assertEquals(last, store.commitMarker(STAGE), "an abort leaves the marker");

        failAndKeep("run-9");
        assertEquals(last, store.commitMarker(STAGE), "a kept attempt leaves the marker");
        store.abortStage(STAGE);

        assertThrows(StoreException.class, () -> store.commitStage(STAGE, "test_flow"), "no transaction to commit");
        assertEquals(last, store.commitMarker(STAGE), "a failed commit leaves the marker");
    }

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
}
