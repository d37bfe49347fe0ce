package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL server restarted under a running task: a throwaway cluster of the test's own, stopped
 * ({@code pg_ctl stop -m fast}) while a task reads its input and started again a while later. The
 * task's attempt fails transiently, the retry waits for the server (the pool's connection timeout),
 * the instance lock is taken again on a new session (no other run held it), and the run completes
 * with every row. Needs PostgreSQL's binaries; skipped without them, except under {@code CI=true}.
 */
class PostgresRestartTest extends FlowKitTest {

    /**
     * Rows of the task's input: with their 100 characters of padding, about 59 MB as a binary COPY stream,
     * more than the socket buffers hold (up to 32 MB received and 4 MB sent on Linux), so that the server
     * is still sending when it stops however fast the machine is. (With 150,000 narrow rows a fast machine
     * had the whole stream buffered before the stop, and the first attempt read it all.)
     */
    private static final int ROWS = 500_000;
    /** How long the server stays away: well within the pool's default connection timeout of 30 s. */
    private static final Duration AWAY = Duration.ofSeconds(15);

    private static ThrowawayPostgres server;

    @BeforeAll
    static void startServer() throws Exception {
        server = ThrowawayPostgres.start();
    }

    @AfterAll
    static void removeServer() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected InstanceConfig instance(FlowTestKit testKit) {
        return on(testKit.instance("restart"), Map.of());
    }

    /**
     * {@code instance} on the throwaway server, with {@code extra} store arguments. It reads every table on one
     * connection: a table of two ranges of pages or more (this one is) would otherwise be read by ranges on
     * several connections, each stream a fraction of the 59 MB and small enough for the socket buffers again.
     */
    private static InstanceConfig on(InstanceConfig instance, Map<String, Object> extra) {
        Map<String, Object> args = new java.util.HashMap<>(Map.of("host", "127.0.0.1", "port", server.port(),
                "database", ThrowawayPostgres.DATABASE, "user", ThrowawayPostgres.USER,
                "schema_prefix", "r" + java.util.UUID.randomUUID().toString().substring(0, 8) + "_",
                "read_connections", 1));
        args.putAll(extra);
        return instance.withTableStoreSettings(new StoreSettings(instance.instanceName(), instance.instanceId(),
                "postgres", "postgres", ConfigFactory.parseMap(args), instance.workDir(),
                "PostgresRestartTest's throwaway server"));
    }

    /**
     * {@code ROWS} padded rows made in the server, and a task that reads them all through one reader and
     * counts them (rows, sum of ids), whose first attempt runs {@code fault} after reading the first batch.
     */
    private static Flow copy(AtomicInteger calls, Fault fault) {
        return Flow.define("restart", f -> {
            Ref numbers = f.stage("raw").task("numbers").sql("SELECT CAST(g AS BIGINT) AS id, repeat('x', 100) AS pad"
                    + " FROM generate_series(0, " + (ROWS - 1) + ") AS t(g)", Map.of()).ref();
            f.stage("out").task("copy").input("numbers", numbers, ArrowReader.class).produces(ctx -> {
                        ArrowReader reader = ctx.input("numbers", ArrowReader.class);
                        long rows = 0;
                        long sum = 0;
                        boolean first = calls.incrementAndGet() == 1;
                        while (reader.loadNextBatch()) {
                            org.apache.arrow.vector.BigIntVector id = (org.apache.arrow.vector.BigIntVector)
                                    reader.getVectorSchemaRoot().getVector("id");
                            for (int i = 0; i < id.getValueCount(); i++) {
                                sum += id.get(i);
                            }
                            rows += id.getValueCount();
                            if (first) {
                                first = false;
                                fault.run();
                            }
                        }
                        return Table.of(Rows.builder("rows", "sum").add(rows, sum).build(), "copy");
                    });
        });
    }

    interface Fault {
        void run() throws Exception;
    }

    @Test
    void aRunWhoseServerRestartsMidTaskCompletesWithEveryRow() {
        kit.timeout(Duration.ofMinutes(3));
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> restarted = new CompletableFuture<>();
        Flow flow = copy(calls, () -> {
            server.stop();
            CompletableFuture.runAsync(() -> {
                try {
                    server.startAgain();
                    restarted.complete(null);
                } catch (Exception e) {
                    restarted.completeExceptionally(e);
                }
            }, CompletableFuture.delayedExecutor(AWAY.toMillis(), TimeUnit.MILLISECONDS));
        });

        FlowRunRecord run = kit.run(flow, mini);

        restarted.join();
        assertTrue(run.successful(), () -> run.result().toJson());
        // The attempt the restart broke, then one more; on a loaded machine the server can take longer to
        // come back than a retry waits for it, so a further attempt within the budget is fine too.
        int attempts = run.task("copy").attempts();
        assertTrue(attempts >= 2 && attempts <= mini.retry().maxAttempts(), "attempts: " + attempts);
        Rows counted = run.result().get(new Ref("out", "copy", "copy"), Rows.class);
        assertEquals(java.util.List.of((long) ROWS, (long) ROWS * (ROWS - 1) / 2), counted.get(0).values(), counted::toString);
        assertTrue(run.committedStages().contains("out"));
    }

    @Test
    void aRunWhoseServerStaysAwayFailsAfterItsLastAttemptWithOneLineSayingWhy() throws Exception {
        kit.timeout(Duration.ofMinutes(3));
        AtomicInteger calls = new AtomicInteger();
        InstanceConfig impatient = on(mini, Map.of("connection_timeout", "1s"));
        try {
            FlowRunRecord run = kit.run(copy(calls, server::stop), impatient);

            assertFalse(run.successful());
            assertEquals(TaskState.FAILED, run.task("copy").state());
            assertEquals(impatient.retry().maxAttempts(), run.task("copy").attempts());
            String error = run.task("copy").error();
            assertFalse(error.contains("\n"), error);
            assertTrue(error.contains("task 'copy'") && error.contains("cannot get a connection")
                    && error.contains("127.0.0.1:" + server.port()) && error.contains("SQLState 08"), error);
        } finally {
            server.startAgain();
        }
    }
}
