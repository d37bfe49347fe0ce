package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TaskRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Stage transactions: begin, commit by schema swap, abort, killed runs, the cache metadata, other instances. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresStageTest {

    private static PostgresTestServer server;
    private static PostgresTableStore store;
    private static String otherPrefix;

    @BeforeAll
    static void openStore() {
        server = PostgresTestServer.require();
        store = server.open("stages");
        otherPrefix = server.newPrefix();
    }

    @AfterAll
    static void closeStore() throws Exception {
        if (store != null) {
            store.close();
            server.dropAll(otherPrefix);
        }
    }

    /** Writes table {@code name} into the stage's transaction with {@code rows} rows, all of value {@code v}. */
    private static void writeTable(PostgresTableStore s, String stage, String name, int rows, int v) {
        String table = s.sqlName(new TableLocation(s.transactionSchema(stage), name));
        s.executeScript("CREATE TABLE " + table + " AS SELECT " + v + " AS v FROM generate_series(1, " + rows + ")");
    }

    private static TaskRecord task(String stage, String task, String key, String runId) {
        return new TaskRecord(stage, task, key, "{\"tables\":[\"" + task + "\"]}", runId, Instant.parse("2024-05-01T10:00:00Z"));
    }

    private static long uncommittedRows(String schema) throws Exception {
        try (Connection c = server.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM weir_metadata.tasks WHERE in_transaction"
                     + " AND schema_name = '" + schema + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void commitMakesTheTransactionsTablesAndCacheEntriesVisible() {
        store.beginStage("commit");
        writeTable(store, "commit", "t", 3, 1);
        store.recordTask(task("commit", "make_t", "k1", "run-1"));
        assertFalse(store.isCommitted("commit"));
        assertEquals(Optional.empty(), store.findTask("commit", "make_t", "k1"), "uncommitted entries are invisible");

        store.commitStage("commit", "test_flow");

        assertTrue(store.isCommitted("commit"));
        assertEquals(Optional.of("run-1"), store.stageVersion("commit"));
        assertEquals(3, store.rowCount(new TableLocation(store.committedSchema("commit"), "t")));
        assertEquals(Optional.of(task("commit", "make_t", "k1", "run-1")), store.findTask("commit", "make_t", "k1"));
        assertEquals(List.of(), store.listTables(store.transactionSchema("commit")), "no transaction schema is left");
    }

    @Test
    void abortLeavesThePreviousCommitReadableAndItsCacheIntact() {
        store.beginStage("abort");
        writeTable(store, "abort", "t", 2, 1);
        store.recordTask(task("abort", "make_t", "old-key", "run-1"));
        store.commitStage("abort", "test_flow");

        store.beginStage("abort");
        writeTable(store, "abort", "t", 5, 2);
        writeTable(store, "abort", "extra", 1, 2);
        store.recordTask(task("abort", "make_t", "new-key", "run-2"));
        store.abortStage("abort");

        String committed = store.committedSchema("abort");
        assertEquals(List.of("t"), store.listTables(committed));
        assertEquals(2, store.rowCount(new TableLocation(committed, "t")));
        assertTrue(store.findTask("abort", "make_t", "old-key").isPresent());
        assertEquals(Optional.empty(), store.findTask("abort", "make_t", "new-key"));
        assertEquals(Optional.of("run-1"), store.stageVersion("abort"));
    }

    @Test
    void aNewCommitReplacesTheOldTablesAndCacheEntries() {
        store.beginStage("replace");
        writeTable(store, "replace", "gone", 1, 1);
        store.recordTask(task("replace", "make_gone", "k-gone", "run-1"));
        store.commitStage("replace", "test_flow");

        store.beginStage("replace");
        writeTable(store, "replace", "kept", 1, 2);
        store.recordTask(task("replace", "make_kept", "k-kept", "run-2"));
        store.commitStage("replace", "test_flow");

        assertEquals(List.of("kept"), store.listTables(store.committedSchema("replace")));
        assertEquals(Optional.empty(), store.findTask("replace", "make_gone", "k-gone"),
                "an entry whose table is gone must not be a cache hit");
        assertTrue(store.findTask("replace", "make_kept", "k-kept").isPresent());
        assertEquals(Optional.of("run-2"), store.stageVersion("replace"));
    }

    @Test
    void aKilledRunIsCleanedUpByTheNextBegin() throws Exception {
        store.beginStage("killed");
        writeTable(store, "killed", "half_done", 10, 1);
        store.recordTask(task("killed", "half", "k", "run-killed"));
        // The process dies here: no commit, no abort. A new process opens the store and begins again.
        try (PostgresTableStore next = server.open("stages")) {
            next.beginStage("killed");
            assertEquals(List.of(), next.listTables(next.transactionSchema("killed")));
            assertEquals(0, uncommittedRows(next.committedSchema("killed")));
            next.commitStage("killed", "test_flow");
            assertEquals(Optional.empty(), next.findTask("killed", "half", "k"));
        }
    }

    @Test
    void aStatementOfAKilledRunStillRunningInTheServerDoesNotHoldUpTheDropOfItsTransaction() throws Exception {
        store.beginStage("orphan");
        String tx = store.transactionSchema("orphan");
        // The process dies while its session runs a long statement in the stage's transaction: the server
        // runs the statement to its end (up to statement_timeout) before it notices the client is gone.
        Connection dead = server.connection();
        CompletableFuture<Void> statement = CompletableFuture.runAsync(() -> {
            try (Statement s = dead.createStatement()) {
                s.execute("CREATE TABLE \"" + tx + "\".\"slow\" AS SELECT 1 AS v FROM (SELECT pg_sleep(45)) AS w");
            } catch (java.sql.SQLException e) {
                // terminated, as the next run must do
            }
        });
        try (PostgresTableStore next = server.open("stages")) {
            awaitActive(tx);
            long start = System.nanoTime();
            Map<String, String> dropped = next.dropOrphanedTransactions();
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;

            assertEquals(Map.of("orphan", tx), dropped);
            assertTrue(seconds < 20, "the orphaned statement's session was ended, not waited for: " + seconds + " s");
            try (Connection c = server.connection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = '" + tx + "'")) {
                rs.next();
                assertEquals(0, rs.getLong(1), tx + " dropped");
            }
            statement.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            dead.close();
        }
    }

    /** Waits until a session runs a statement naming {@code schema}. */
    private static void awaitActive(String schema) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        try (Connection c = server.connection(); java.sql.PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND position(? in query) > 0"
                        + " AND pid <> pg_backend_pid()")) {
            s.setString(1, schema);
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        throw new AssertionError("no session ran a statement in " + schema);
    }

    @Test
    void aCommitWaitingForASessionThatReadTheTablesItReplacesNamesThatSession() throws Exception {
        store.beginStage("blocked");
        writeTable(store, "blocked", "t", 3, 1);
        store.commitStage("blocked", "test_flow");
        TableLocation t = new TableLocation(store.committedSchema("blocked"), "t");
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
                PgLockWaits.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> warnings =
                new ch.qos.logback.core.read.ListAppender<>();
        warnings.start();
        logger.addAppender(warnings);
        try (Connection reader = server.connection()) {
            // a session that read the committed table and was left idle in its transaction
            reader.setAutoCommit(false);
            int readerPid;
            try (Statement s = reader.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_backend_pid(), count(*) FROM " + store.sqlName(t))) {
                rs.next();
                readerPid = rs.getInt(1);
            }
            store.beginStage("blocked");
            writeTable(store, "blocked", "t", 5, 2);
            CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> store.commitStage("blocked", "test_flow"));

            String said = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (said == null && System.nanoTime() < deadline) {
                said = warnings.list.stream().map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                        .filter(m -> m.contains("session " + readerPid + " ")).findFirst().orElse(null);
                Thread.sleep(100);
            }
            assertTrue(said != null, "a warning names the reader's session " + readerPid + ": " + warnings.list);
            assertTrue(said.contains("the commit of stage 'blocked' waits for a lock held by"), said);
            assertTrue(said.contains("idle in transaction"), said);
            assertFalse(commit.isDone(), "the commit waits for the reader");

            reader.rollback();
            commit.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(5, store.rowCount(t));
        } finally {
            logger.detachAppender(warnings);
        }
    }

    @Test
    void committingAStageThatWasNotBegunSaysSo() {
        StoreException e = assertThrows(StoreException.class, () -> store.commitStage("never_begun", "test_flow"));
        assertTrue(e.getMessage().contains("never_begun") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void readersSeeTheOldOrTheNewStageNeverAMix() throws Exception {
        store.beginStage("swap");
        writeTable(store, "swap", "a", 100, 0);
        writeTable(store, "swap", "b", 100, 0);
        store.commitStage("swap", "test_flow");
        String committed = store.committedSchema("swap");
        String query = "SELECT (SELECT min(v) FROM " + store.quote(committed) + ".a), (SELECT max(v) FROM "
                + store.quote(committed) + ".b), (SELECT count(*) FROM " + store.quote(committed) + ".a)";
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<String> mix = new AtomicReference<>();
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            int reads = 0;
            try (Connection c = server.connection(); Statement s = c.createStatement()) {
                while (!done.get()) {
                    try (ResultSet rs = s.executeQuery(query)) {
                        rs.next();
                        if (rs.getInt(1) != rs.getInt(2) || rs.getLong(3) != 100) {
                            mix.set("a=" + rs.getInt(1) + " b=" + rs.getInt(2) + " rows=" + rs.getLong(3));
                        }
                        reads++;
                    } catch (java.sql.SQLException e) {
                        // The schema may be renamed between parsing and execution: a failed read, not a mixed one.
                        if (!"42P01".equals(e.getSQLState()) && !"3F000".equals(e.getSQLState())) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
            return reads;
        });
        for (int version = 1; version <= 10; version++) {
            store.beginStage("swap");
            writeTable(store, "swap", "a", 100, version);
            writeTable(store, "swap", "b", 100, version);
            store.commitStage("swap", "test_flow");
        }
        done.set(true);
        assertTrue(reader.get() > 0);
        assertEquals(null, mix.get());
    }

    @Test
    void initIsSafeWhenManyProcessesRunItAtOnce() {
        List<CompletableFuture<Void>> inits = java.util.stream.IntStream.range(0, 4)
                .mapToObj(i -> CompletableFuture.runAsync(store::init)).toList();
        inits.forEach(CompletableFuture::join);
    }

    @Test
    void initRefusesMetadataOfAnotherVersion() throws Exception {
        try (Connection c = server.connection(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("UPDATE weir_metadata.version SET version = 999");
            c.commit();
            try {
                StoreException e = assertThrows(StoreException.class, store::init);
                assertTrue(e.getMessage().contains("version 999") && e.getMessage().contains("version " + PgMetadata.VERSION),
                        e.getMessage());
            } finally {
                s.execute("UPDATE weir_metadata.version SET version = " + PgMetadata.VERSION);
                c.commit();
            }
        }
    }

    @Test
    void anotherInstanceInTheSameDatabaseIsReadable() {
        var fullSettings = server.settings("full", otherPrefix, Map.of());
        try (PostgresTableStore full = PostgresTableStore.open(fullSettings, server.env())) {
            full.init();
            full.beginStage("raw");
            writeTable(full, "raw", "orders", 4, 1);
            full.recordTask(task("raw", "load", "k", "full-run-7"));
            full.commitStage("raw", "test_flow");

            Map<String, String> tables = store.foreignStageTables(fullSettings, "raw");
            assertEquals(Map.of("orders", "\"" + otherPrefix + "raw\".\"orders\""), tables);
            assertEquals(Optional.of("full-run-7"), store.foreignStageVersion(fullSettings, "raw"));
            StoreException never = assertThrows(StoreException.class, () -> store.foreignStageTables(fullSettings, "nope"));
            assertTrue(never.getMessage().contains("never been committed"), never.getMessage());
        }
    }

    @Test
    void anotherInstanceInAnotherDatabaseIsRefusedWithAReason() {
        var elsewhere = server.settings("full", otherPrefix, Map.of("database", "some_other_db"));
        StoreException e = assertThrows(StoreException.class, () -> store.foreignStageTables(elsewhere, "raw"));
        assertTrue(e.getMessage().contains("must share a database"), e.getMessage());
        assertTrue(e.getMessage().contains("some_other_db"), e.getMessage());
    }
}
