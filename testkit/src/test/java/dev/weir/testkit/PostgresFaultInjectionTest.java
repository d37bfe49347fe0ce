package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.testpostgres.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL connections that die under a running task or chunk: the server ends the backend
 * ({@code pg_terminate_backend}, SQLState 57P01, which the driver reports as a lost connection), the
 * engine sees a transient failure however the store's error reached it, retries, and the run
 * completes with every row. Needs the PG* variables' server, else an embedded one; skipped without one, except under
 * {@code CI=true}.
 */
class PostgresFaultInjectionTest extends FlowKitTest {

    /** More rows than one batch of a reader (65,536), so that a reader goes back to the server. */
    private static final int ROWS = 150_000;
    /**
     * Rows a reader's backend is ended under (in a task's input, or in each chunk's): with their 100
     * characters of padding, about 65 MB as a binary COPY stream, more than the socket buffers hold (up to
     * 32 MB received and 4 MB sent on Linux), so that the server is still sending when its backend is ended
     * however fast the machine is. (1,000,000 narrow rows made 26 MB, which a fast machine can have wholly
     * buffered by then, and its read would end well.)
     */
    private static final int STREAMED = 500_000;

    /** A table {@code numbers} of {@code n} rows (id 0..n-1, v, and 100 characters of padding), made in the server. */
    static dev.weir.engine.TaskHandle numbersInTheServer(dev.weir.engine.Stage stage, int n) {
        return stage.task("numbers").sql("SELECT CAST(g AS BIGINT) AS id, CAST(g % 7 AS BIGINT) AS v,"
                + " repeat('x', 100) AS pad FROM generate_series(0, " + (n - 1) + ") AS t(g)", java.util.Map.of());
    }

    /** Something a task does after reading the first batch of its input. */
    @FunctionalInterface
    interface AfterFirstBatch {
        void run() throws Exception;
    }

    /**
     * Reads every batch of {@code reader}, running {@code afterFirstBatch} once the first is in, and keeps only
     * the ids (the padding is only there to make the stream long): a table of one column {@code id}.
     */
    static ArrowTable idsOf(ArrowReader reader, BufferAllocator allocator,
                            AfterFirstBatch afterFirstBatch) throws Exception {
        Schema schema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true))));
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            boolean first = true;
            while (reader.loadNextBatch()) {
                BigIntVector in = (BigIntVector) reader.getVectorSchemaRoot().getVector("id");
                VectorSchemaRoot out = VectorSchemaRoot.create(schema, allocator);
                batches.add(out);
                BigIntVector ids = (BigIntVector) out.getVector(0);
                ids.allocateNew(in.getValueCount());
                for (int i = 0; i < in.getValueCount(); i++) {
                    ids.set(i, in.get(i));
                }
                out.setRowCount(in.getValueCount());
                if (first) {
                    first = false;
                    afterFirstBatch.run();
                }
            }
        } catch (Exception | Error e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
        return ArrowTable.of(schema, batches);
    }

    /** Asserts that {@code table} holds ids 0..n-1, each once. */
    static void assertEveryIdOnce(ArrowTable table, int n) {
        assertEquals(n, table.rowCount());
        java.util.BitSet seen = new java.util.BitSet(n);
        for (org.apache.arrow.vector.VectorSchemaRoot batch : table.batches()) {
            org.apache.arrow.vector.BigIntVector id = (org.apache.arrow.vector.BigIntVector) batch.getVector("id");
            for (int i = 0; i < batch.getRowCount(); i++) {
                assertFalse(seen.get((int) id.get(i)), "id " + id.get(i) + " twice");
                seen.set((int) id.get(i));
            }
        }
        assertEquals(n, seen.cardinality());
    }

    /**
     * The instance reads every table on one connection: a table of two ranges of pages or more (the
     * {@code STREAMED} tables are) would otherwise be read by ranges on several connections, each stream a
     * fraction of the table and small enough for the socket buffers again, and the test ends one reader's
     * backend, the one in the pool that described the table.
     */
    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        InstanceConfig instance = kit.postgresInstance("pgfaults");
        dev.weir.engine.store.StoreSettings store = instance.tableStore();
        return instance.withTableStoreSettings(new dev.weir.engine.store.StoreSettings(store.instanceName(),
                store.instanceId(), store.connectionName(), store.kind(),
                store.args().withValue("read_connections", com.typesafe.config.ConfigValueFactory.fromAnyRef(1)),
                store.workDir(), store.origin()));
    }

    static Rows numbers(int n) {
        Rows.Builder b = Rows.builder("id", "v");
        for (long i = 0; i < n; i++) {
            b.add(i, i % 7);
        }
        return b.build();
    }

    @Test
    void aBackendTerminatedUnderATaskReadingItsInputIsRetriedAndTheRunKeepsEveryRow() {
        AtomicInteger calls = new AtomicInteger();
        Flow flow = Flow.define("faults", f -> {
            Ref numbers = numbersInTheServer(f.stage("raw"), STREAMED).ref();
            f.stage("out").task("copy").input("numbers", numbers, ArrowReader.class).produces(ctx -> {
                boolean first = calls.incrementAndGet() == 1;
                return Table.of(idsOf(ctx.input("numbers", ArrowReader.class), ctx.allocator(), () -> {
                    if (first) { // the read is under way, its backend still has rows to send
                        assertEquals(1, terminateReadersOf("numbers"));
                    }
                }), "copy");
            });
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(2, run.task("copy").attempts());
        assertEquals(STREAMED, run.task("copy").rows());
        try (ArrowTable copy = run.result().get(new Ref("out", "copy", "copy"), ArrowTable.class)) {
            assertEveryIdOnce(copy, STREAMED);
        }
    }

    @Test
    void aBackendTerminatedUnderAChunkIsRetriedAndTheOutputHasEveryRowOnce() {
        AtomicBoolean terminated = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        Flow flow = Flow.define("faults", f -> {
            // two chunks of STREAMED rows each, so that whichever runs first streams more than the socket buffers
            Ref numbers = numbersInTheServer(f.stage("raw"), 2 * STREAMED).ref();
            f.stage("out").task("copy").input("numbers", numbers, ArrowReader.class)
                    .batched(Batched.rangeOf("id", 2).computeParallelism(1)).produces(ctx -> { // one reader at a time
                        calls.incrementAndGet();
                        boolean first = terminated.compareAndSet(false, true);
                        return Table.of(idsOf(ctx.input("numbers", ArrowReader.class), ctx.allocator(), () -> {
                            if (first) {
                                assertEquals(1, terminateReadersOf("numbers"));
                            }
                        }), "copy");
                    });
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(3, calls.get(), "two chunks, one of them twice");
        assertEquals(1, run.task("copy").attempts(), "the chunk was retried, not the task");
        try (ArrowTable copy = run.result().get(new Ref("out", "copy", "copy"), ArrowTable.class)) {
            assertEveryIdOnce(copy, 2 * STREAMED);
        }
    }

    @Test
    void aBackendTerminatedUnderAChunkUploadIsRetriedAndTheOutputHasEveryRowOnce() {
        AtomicInteger killed = new AtomicInteger();
        Flow flow = Flow.define("faults", f -> {
            Ref numbers = f.stage("raw").task("numbers").produces(ctx -> Table.of(numbers(ROWS), "numbers")).ref();
            f.stage("out").task("copy").input("numbers", numbers, Rows.class).batched(Batched.rangeOf("id", 3))
                    .produces(ctx -> Table.of(ctx.input("numbers", Rows.class), "copy"));
        });

        FlowRunRecord run = kit.run(flow, CopyKillingStore.around(mini, killed));

        assertTrue(run.successful(), () -> run.result().toJson());
        // The first append's COPY lost its backend, and with it any other chunk's COPY in flight at that moment.
        assertTrue(killed.get() >= 1, "a COPY lost its backend: " + killed.get());
        assertEquals(1, run.task("copy").attempts(), "the chunk was retried, not the task");
        Rows copy = run.result().get(new Ref("out", "copy", "copy"), Rows.class);
        assertEquals(ROWS, copy.size());
        assertEquals(ROWS, copy.stream().map(r -> r.get("id")).distinct().count(), "no chunk appended twice");
    }

    @Test
    void aConnectionLostOnEveryAttemptFailsTheTaskWithOneSentenceAfterTheLastAttempt() {
        AtomicInteger calls = new AtomicInteger();
        Flow flow = Flow.define("faults", f -> {
            Ref numbers = numbersInTheServer(f.stage("raw"), STREAMED).ref();
            f.stage("out").task("copy").input("numbers", numbers, ArrowReader.class).produces(ctx -> {
                calls.incrementAndGet();
                return Table.of(idsOf(ctx.input("numbers", ArrowReader.class), ctx.allocator(),
                        () -> terminateReadersOf("numbers")), "copy");
            });
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertFalse(run.successful());
        assertEquals(TaskState.FAILED, run.task("copy").state());
        assertEquals(mini.retry().maxAttempts(), calls.get());
        assertEquals(mini.retry().maxAttempts(), run.task("copy").attempts());
        String error = run.task("copy").error();
        assertTrue(error.contains("task 'copy'") && error.contains("SQLState"), error);
    }

    @Test
    void aRunThatLostItsInstanceLockCommitsNothingAndLeavesTheSchemasToTheRunThatTookIt() throws Exception {
        String prefix = mini.tableStore().args().getString("schema_prefix");
        String transaction = "\"" + prefix + "s__tx\""; // the prefix is letters, digits and _
        try (Connection other = connect()) {
            Flow flow = Flow.define("lost", f -> f.stage("s").task("t").produces(ctx -> {
                // Another run: the lock's session ends, the other run takes the lock and begins the stage.
                takeInstanceLockOver(other);
                try (Statement s = other.createStatement()) {
                    s.execute("CREATE TABLE " + transaction + ".\"theirs\" (x integer)");
                }
                return Table.of(numbers(10), "t");
            }));

            FlowRunRecord run = kit.run(flow, mini);

            assertFalse(run.successful());
            String error = run.result().failure().orElseThrow().getMessage();
            assertTrue(error.contains("no longer held"), error);
            assertFalse(run.committedStages().contains("s"));
            try (Statement s = other.createStatement()) {
                ResultSet theirs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = '"
                        + prefix + "s__tx' AND tablename = 'theirs'");
                theirs.next();
                assertEquals(1, theirs.getInt(1), "the other run's transaction schema was not dropped");
                ResultSet committed = s.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = '" + prefix + "s'");
                committed.next();
                assertEquals(0, committed.getInt(1), "nothing was committed under a lost lock");
            }
        }
    }

    /** Ends the session holding this instance's lock and takes the lock on {@code other}. */
    private static void takeInstanceLockOver(Connection other) throws SQLException {
        long key;
        try (Statement s = other.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT ((l.classid::bigint << 32) | l.objid::bigint), pg_terminate_backend(l.pid, 5000)"
                        + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory'"
                        + " AND l.granted AND a.application_name = 'weir pgfaults' AND a.datname = current_database()")) {
            assertTrue(rs.next(), "the run holds an advisory lock");
            key = rs.getLong(1);
            assertTrue(rs.getBoolean(2));
            assertFalse(rs.next(), "one lock only");
        }
        try (PreparedStatement s = other.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            s.setLong(1, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                assertTrue(rs.getBoolean(1), "the lock is free once its session has ended");
            }
        }
    }

    /**
     * Ends the backends of this test's instance that read {@code table} (not the one holding the
     * instance lock), waiting until each is gone; returns how many it ended.
     */
    static int terminateReadersOf(String table) throws SQLException {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ?"
                        + " AND datname = current_database() AND pid <> pg_backend_pid() AND query LIKE ?")) {
            s.setString(1, "weir pgfaults");
            s.setString(2, "%SELECT % FROM %\"" + table + "\"%"); // a SELECT, or a COPY of one
            int ended = 0;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ended += rs.getBoolean(1) ? 1 : 0;
                }
            }
            return ended;
        }
    }

    static Connection connect() throws SQLException {
        return TestPostgres.require().connect();
    }
}
