package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Blob;
import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunHandle;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskState;
import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Row;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Resuming a partly failed stage (pipedag #167): the next run takes the tables of the tasks that finished
 * in the failed attempt, reruns the rest, and commits the stage as a clean run would. Killed runs leave no
 * transaction behind. Runs on every store: {@link ResumeOnDuckDbTest} and {@link ResumeOnPostgresTest}.
 */
abstract class ResumeTest extends FlowKitTest {

    /** An instance named {@code name} of the store under test, in {@code kit}. */
    protected abstract InstanceConfig instance(FlowTestKit kit, String name);

    @Override
    protected InstanceConfig instance(FlowTestKit testKit) {
        return instance(testKit, "mini");
    }

    private final List<TableStore> stores = new ArrayList<>();

    @AfterEach
    void closeStores() {
        stores.forEach(TableStore::close);
    }

    /** How often each task's function was called, and whether {@code b} fails. */
    static final class Calls {
        final AtomicInteger a = new AtomicInteger();
        final AtomicInteger b = new AtomicInteger();
        final AtomicInteger c = new AtomicInteger();
        final AtomicInteger e = new AtomicInteger();
        volatile boolean failB;
        /** When set, {@code b} waits for it (until interrupted). */
        volatile java.util.concurrent.CountDownLatch holdB;
    }

    record Model(String name, List<Long> weights) {
    }

    /**
     * Stage {@code work}: {@code a}; {@code b}, which fails when told, after writing a table of its own; and,
     * reading {@code a}, {@code c}, the lazy {@code d}, and {@code e}, which keeps a blob. Stage {@code use}
     * reads the blob.
     */
    static Flow flow(String name, Calls calls, long factor) {
        return flow(name, calls, factor, "1", true);
    }

    static Flow flow(String name, Calls calls, long factor, String versionOfB) {
        return flow(name, calls, factor, versionOfB, true);
    }

    /** {@link #flow(String, Calls, long, String)}, with stage {@code use} or without it. */
    static Flow flow(String name, Calls calls, long factor, String versionOfB, boolean withUse) {
        return Flow.define(name, f -> {
            Stage work = f.stage("work");
            Ref a = work.task("a").version("1").constant("factor", factor).produces(ctx -> {
                calls.a.incrementAndGet();
                Rows.Builder rows = Rows.builder("id", "v");
                for (long i = 1; i <= 5; i++) {
                    rows.add(i, i * factor);
                }
                return Table.of(rows.build()).primaryKey("id");
            }).ref();
            work.task("b").version(versionOfB).produces(ctx -> {
                calls.b.incrementAndGet();
                java.util.concurrent.CountDownLatch hold = calls.holdB;
                if (hold != null) {
                    hold.await();
                }
                if (calls.failB) {
                    ctx.materialize(Table.of(Rows.builder("x").add(1L).build(), "b_partial"));
                    throw new IllegalStateException("b fails on purpose");
                }
                return Table.of(Rows.builder("w").add(7L).build());
            });
            work.task("c").version("1").input("a", a, Rows.class).produces(ctx -> {
                calls.c.incrementAndGet();
                return Table.of(ctx.input("a", Rows.class).map(r -> r.with("v", r.getLong("v") + 100)));
            });
            work.task("d").version("1").sql("SELECT id, v * 10 AS v10 FROM {a}", Map.of("a", a));
            Ref e = work.task("e").version("1").input("a", a, Rows.class).produces(ctx -> {
                calls.e.incrementAndGet();
                return Blob.of(new Model("m", ctx.input("a", Rows.class).stream().map(r -> r.getLong("v")).toList()),
                        "model");
            }).ref();
            if (withUse) {
                f.stage("use").task("weights").version("1").input("model", e, Model.class)
                        .produces(ctx -> ctx.input("model", Model.class).weights().size());
            }
        });
    }

    @Test
    void theNextRunResumesTheTasksThatFinishedAndCommitsWhatACleanRunCommits() {
        Calls calls = new Calls();
        calls.failB = true;
        FlowRunRecord failed = kit.run(flow("resume", calls, 2), mini);
        assertFalse(failed.successful());
        assertEquals(TaskState.FAILED, failed.task("b").state());
        assertEquals(java.util.Set.of("a", "c", "d", "e"), failed.ran());
        assertEquals(TaskState.SKIPPED, failed.task("weights").state());
        assertFalse(failed.committedStages().contains("work"));

        calls.failB = false;
        FlowRunRecord resumed = kit.run(flow("resume", calls, 2), mini);
        assertTrue(resumed.successful(), () -> resumed.result().toJson());
        assertEquals("resumed", resumed.task("a").reason());
        assertEquals(TaskState.CACHE_VALID, resumed.task("a").state());
        for (String task : List.of("c", "d", "e")) {
            assertEquals("resumed", resumed.task(task).reason(), task);
        }
        assertEquals(java.util.Set.of("b", "weights"), resumed.ran());
        assertEquals(1, calls.a.get(), "a's function is not called again");
        assertEquals(1, calls.c.get(), "c's function is not called again");
        assertEquals(1, calls.e.get(), "e's function is not called again");
        assertEquals(2, calls.b.get());
        assertTrue(resumed.committedStages().contains("work"));
        assertEquals(5, resumed.result().get(new Ref("use", "weights", "weights"), Integer.class),
                "the resumed blob was committed with its stage");

        InstanceConfig clean = instance(kit, "clean");
        assertTrue(kit.run(flow("resume", new Calls(), 2), clean).successful());
        assertEquals(committedTables(clean), committedTables(mini));
        assertEquals(java.util.Set.of("a", "b", "c", "d", "e", "weights"),
                kit.run(flow("resume", calls, 2), mini).cacheHits(),
                "the resumed tasks' entries were committed with the stage");
    }

    @Test
    void aTaskWhoseInputsChangedIsNotResumed() {
        Calls calls = new Calls();
        calls.failB = true;
        kit.run(flow("resume", calls, 2), mini);

        calls.failB = false;
        FlowRunRecord next = kit.run(flow("resume", calls, 3), mini);
        assertTrue(next.successful(), () -> next.result().toJson());
        assertEquals(TaskState.COMPLETED, next.task("a").state());
        assertEquals("no-cache-entry", next.task("a").reason());
        assertEquals(java.util.Set.of("a", "b", "c", "d", "e", "weights"), next.ran());
        assertEquals(2, calls.a.get());

        InstanceConfig clean = instance(kit, "clean");
        kit.run(flow("resume", new Calls(), 3), clean);
        assertEquals(committedTables(clean), committedTables(mini));
    }

    @Test
    void anotherFlowNeverResumesAFailedAttempt() {
        Calls calls = new Calls();
        calls.failB = true;
        kit.run(flow("resume", calls, 2), mini);

        calls.failB = false;
        // without stage use, which the failed run committed: another flow may not run on a stage of "resume"
        FlowRunRecord other = kit.run(flow("other", calls, 2, "1", false), mini);
        assertTrue(other.successful(), () -> other.result().toJson());
        assertEquals(java.util.Set.of("a", "b", "c", "d", "e"), other.ran());
        assertEquals(2, calls.a.get());
    }

    @Test
    void aStageThatFailsAgainKeepsItsResumedWorkForTheRunAfter() {
        Calls calls = new Calls();
        calls.failB = true;
        kit.run(flow("resume", calls, 2), mini);
        FlowRunRecord again = kit.run(flow("resume", calls, 2), mini);
        assertFalse(again.successful());
        assertEquals("resumed", again.task("a").reason());

        calls.failB = false;
        FlowRunRecord last = kit.run(flow("resume", calls, 2), mini);
        assertTrue(last.successful(), () -> last.result().toJson());
        assertEquals(java.util.Set.of("b", "weights"), last.ran());
        assertEquals(1, calls.a.get());
        assertEquals(3, calls.b.get());
    }

    @Test
    void aCancelledRunKeepsWhatFinishedForTheNextRun() throws Exception {
        Calls calls = new Calls();
        calls.holdB = new java.util.concurrent.CountDownLatch(1);
        TestProbe<RunEvent> events = kit.testKit().createTestProbe(RunEvent.class);
        RunHandle run = kit.weir().submit(flow("resume", calls, 2), mini,
                RunOptions.defaults().listener(events.getRef()));
        java.util.Set<String> finished = new java.util.HashSet<>();
        while (!finished.containsAll(List.of("a", "c"))) {
            if (events.receiveMessage(Duration.ofSeconds(60)) instanceof RunEvent.TaskFinished done) {
                finished.add(done.result().task());
            }
        }
        try (Result cancelled = run.cancel("the test cancels it").toCompletableFuture().get(60, TimeUnit.SECONDS)) {
            assertFalse(cancelled.successful());
        }

        calls.holdB = null;
        FlowRunRecord next = kit.run(flow("resume", calls, 2), mini);
        assertTrue(next.successful(), () -> next.result().toJson());
        assertEquals("resumed", next.task("a").reason());
        assertEquals("resumed", next.task("c").reason());
        assertEquals(1, calls.a.get());
        assertEquals(1, calls.c.get());
        InstanceConfig clean = instance(kit, "clean");
        kit.run(flow("resume", new Calls(), 2), clean);
        assertEquals(committedTables(clean), committedTables(mini));
    }

    @Test
    void aFailedStageWhoseOtherTasksWereCacheHitsKeepsNothing() {
        Calls calls = new Calls();
        assertTrue(kit.run(flow("resume", calls, 2), mini).successful());
        calls.failB = true;
        FlowRunRecord failed = kit.run(flow("resume", calls, 2, "2"), mini);
        assertEquals(java.util.Set.of("b"), failed.failed());
        assertEquals(java.util.Set.of("a", "c", "d", "e", "weights"), failed.cacheHits());

        TableStore store = store(mini);
        assertEquals(java.util.Optional.empty(), store.keptAttempt("work"), "the cache has the hits already");
        assertEquals(List.of(), store.listTables(store.transactionSchema("work")));
    }

    @Test
    void aTransactionLeftByAKilledRunIsDroppedWhenTheNextRunStarts() {
        Calls calls = new Calls();
        assertTrue(kit.run(flow("resume", calls, 2), mini).successful());
        Map<String, List<String>> committed = committedTables(mini);

        // a run that dies mid-stage: it began the transaction and wrote a table, then nothing
        TableStore killed = store(mini);
        killed.beginStage("work");
        String transaction = killed.transactionSchema("work");
        killed.writeSql(new TableLocation(transaction, "half_done"), "SELECT 1 AS x", TableSpec.NONE);
        FileBlobStore blobs = new FileBlobStore(mini.blobStoreDir());
        blobs.begin("work");
        String blob = blobs.write("work", "half_done", new byte[] {1});

        FlowRunRecord next = kit.run(flow("resume", calls, 2), mini);
        assertTrue(next.successful(), () -> next.result().toJson());
        assertEquals(java.util.Set.of("a", "b", "c", "d", "e", "weights"), next.cacheHits(),
                "the stage itself is not begun");
        assertEquals(List.of(), store(mini).listTables(transaction), "the orphaned transaction is gone");
        assertFalse(blobs.inTransaction("work", blob), "with its blobs");
        assertEquals(Map.of(), store(mini).dropOrphanedTransactions(), "nothing is left to clean");
        assertEquals(committed, committedTables(mini));
    }

    /** The committed tables of stage {@code work}: each table's rows, sorted. */
    private Map<String, List<String>> committedTables(InstanceConfig instance) {
        TableStore store = store(instance);
        String schema = store.committedSchema("work");
        Map<String, List<String>> tables = new TreeMap<>();
        for (String table : store.listTables(schema)) {
            try (ArrowReader reader = store.readArrow(new TableLocation(schema, table), kit.allocator(), ReadOptions.ALL)) {
                tables.put(table, Rows.fromArrow(reader).stream().map(Row::values).map(String::valueOf).sorted().toList());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return tables;
    }

    /** A store of its own on {@code instance}'s database, closed after the test. */
    private TableStore store(InstanceConfig instance) {
        TableStoreFactory factory = ServiceLoader.load(TableStoreFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.kind().equals(instance.tableStore().kind()))
                .findFirst().orElseThrow();
        TableStore store = factory.open(instance.tableStore());
        store.init();
        stores.add(store);
        return store;
    }
}
