package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunHandle;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Table;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.RunRecord;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The engine records every run that took its instance's lock in the table store, for {@code weir status}:
 * when, which flow, how it ended and its tasks by state. On every store: {@link RunRecordingOnDuckDbTest},
 * {@link RunRecordingOnPostgresTest}.
 */
abstract class RunRecordingTest extends FlowKitTest {

    private final List<TableStore> stores = new ArrayList<>();
    private volatile boolean fail;

    @AfterEach
    void closeStores() {
        stores.forEach(TableStore::close);
    }

    /** raw/load writes a table; raw/count reads it (and fails when {@link #fail} is set). */
    private Flow flow(String version, CountDownLatch inside, CountDownLatch release) {
        return Flow.define("recorded", f -> {
            var raw = f.stage("raw");
            var load = raw.task("load").version(version).produces(ctx -> {
                if (inside != null) {
                    inside.countDown();
                    release.await(60, TimeUnit.SECONDS);
                }
                return Table.of(Rows.builder("id").add(1L).add(2L).build(), "load");
            }).ref();
            raw.task("count").version("1").input("o", load, Rows.class).produces(ctx -> {
                if (fail) {
                    throw new IllegalStateException("count fails on purpose");
                }
                return Table.of(Rows.builder("n").add((long) ctx.input("o", Rows.class).size()).build(), "count");
            });
        });
    }

    private Flow flow(String version) {
        return flow(version, null, null);
    }

    private TableStore store() {
        TableStoreFactory factory = ServiceLoader.load(TableStoreFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.kind().equals(mini.tableStore().kind())).findFirst().orElseThrow();
        TableStore store = factory.open(mini.tableStore());
        store.init();
        stores.add(store);
        return store;
    }

    @Test
    void eachRunIsRecordedNewestFirstWithItsOutcomeAndCounts() {
        Instant before = Instant.now();
        assertTrue(kit.run(flow("1"), mini).successful());
        assertTrue(kit.run(flow("1"), mini).successful());
        fail = true;
        assertFalse(kit.run(flow("2"), mini).successful());

        List<RunRecord> runs = store().lastRuns(10);
        assertEquals(3, runs.size(), runs::toString);
        RunRecord failed = runs.get(0);
        assertEquals(RunRecord.Outcome.FAILED, failed.outcome());
        assertEquals(List.of(1, 0, 1, 0), List.of(failed.ran(), failed.cacheHits(), failed.failed(), failed.skipped()),
                failed::toString);
        RunRecord hits = runs.get(1);
        assertEquals(RunRecord.Outcome.SUCCEEDED, hits.outcome());
        assertEquals(List.of(0, 2, 0, 0), List.of(hits.ran(), hits.cacheHits(), hits.failed(), hits.skipped()));
        RunRecord first = runs.get(2);
        assertEquals(List.of(2, 0, 0, 0), List.of(first.ran(), first.cacheHits(), first.failed(), first.skipped()));
        assertEquals("recorded", first.flow());
        assertFalse(first.startedAt().isBefore(before.minusSeconds(1)), first::toString);
        assertTrue(first.startedAt().isBefore(hits.startedAt()), runs::toString);
        assertTrue(first.duration().toNanos() > 0, first::toString);
    }

    @Test
    void aCancelledRunIsRecordedAsCancelled() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RunHandle handle = kit.weir().submit(flow("1", inside, release), mini, RunOptions.defaults().runId("to-cancel"));
        try {
            assertTrue(inside.await(60, TimeUnit.SECONDS), "the task started");
            handle.cancel("the test cancels it");
            try (Result result = handle.result().toCompletableFuture().get(60, TimeUnit.SECONDS)) {
                assertFalse(result.successful());
            }
        } finally {
            release.countDown();
        }
        RunRecord run = store().lastRuns(1).get(0);
        assertEquals("to-cancel", run.runId());
        assertEquals(RunRecord.Outcome.CANCELLED, run.outcome());
    }

    @Test
    void aStoreThatCannotRecordTheRunLeavesTheRunSuccessful() {
        var refusing = WrappedStore.around(mini, RefusingFactory.KIND, Map.of(), "recordRun refused");
        FlowRunRecord run = kit.run(flow("1"), refusing);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of(), store().lastRuns(10), "nothing was recorded");
        assertEquals(2, kit.run(flow("1"), mini).cacheHits().size(), "the run committed its work all the same");
    }

    /** A store whose {@code recordRun} always fails; everything else goes to the real store. */
    public static final class RefusingFactory implements TableStoreFactory {
        static final String KIND = "refuses-run-records";

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(dev.weir.engine.store.StoreSettings settings) {
            return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
                if (method.getName().equals("recordRun")) {
                    throw StoreException.of(settings.instanceName() + "'s store refuses to record runs");
                }
                return proceed.call();
            });
        }
    }
}
