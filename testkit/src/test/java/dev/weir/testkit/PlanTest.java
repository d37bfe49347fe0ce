package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.PlanReport;
import dev.weir.engine.PlanReport.Decision;
import dev.weir.engine.Ref;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Table;
import dev.weir.engine.WeirException;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code Weir.plan}: what a run would do, each task's decision and reason, computed as a run plans and
 * writing nothing. On every store: {@link PlanOnDuckDbTest}, {@link PlanOnPostgresTest}.
 */
abstract class PlanTest extends FlowKitTest {

    private final List<TableStore> stores = new ArrayList<>();
    /** How often the flow's task functions ran: planning runs none of them. */
    private final AtomicInteger calls = new AtomicInteger();
    /** When set, raw/count fails. */
    private volatile boolean failCount;

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    @AfterEach
    void closeStores() {
        stores.forEach(TableStore::close);
    }

    /**
     * raw/orders (version {@code version}) writes a table; raw/count reads it and returns a value;
     * report/summary reads the value, so its key is known only once raw/count has run.
     */
    private Flow flow(String name, String version) {
        return Flow.define(name, f -> {
            var raw = f.stage("raw");
            Ref orders = raw.task("orders").version(version)
                    .produces(ctx -> {
                        calls.incrementAndGet();
                        return Table.of(Rows.builder("id").add(1L).add(2L).build(), "orders");
                    }).ref();
            Ref count = raw.task("count").version("1").input("o", orders, Rows.class)
                    .produces(ctx -> {
                        calls.incrementAndGet();
                        if (failCount) {
                            throw new IllegalStateException("count fails on purpose");
                        }
                        return (long) ctx.input("o", Rows.class).size();
                    }).ref();
            f.stage("report").task("summary").version("1").input("n", count, Long.class)
                    .produces(ctx -> {
                        calls.incrementAndGet();
                        return Table.of(Rows.builder("n").add(ctx.input("n", Long.class)).build(), "summary");
                    });
        });
    }

    private PlanReport plan(Flow flow, RunOptions options) {
        return kit.weir().plan(flow, mini, options).toCompletableFuture().orTimeout(60, TimeUnit.SECONDS).join();
    }

    private static String describe(PlanReport.Step step) {
        return step.stage() + "/" + step.task() + " " + step.decision().label() + " " + step.reason();
    }

    private static List<String> steps(PlanReport report) {
        return report.tasks().stream().map(PlanTest::describe).toList();
    }

    @Test
    void beforeTheFirstRunEveryTaskRunsForWantOfACacheEntryAndAValueReaderIsDecidedLater() {
        PlanReport report = plan(flow("plan", "1.0"), RunOptions.defaults());

        // what a Java task returns (a table or a value) is known once it ran, so its readers wait for it
        assertEquals(List.of("raw/orders run no-cache-entry",
                "raw/count decided when inputs are ready its key needs raw/orders.orders, produced in this run",
                "report/summary decided when inputs are ready its key needs raw/count.count, produced in this run"),
                steps(report), report::toText);
        assertEquals(0, calls.get(), "planning runs no task");
        assertTrue(report.toText().contains("1 run, 0 cache hits, 2 decided when inputs are ready"), report::toText);
        assertTrue(report.toJson().contains("\"decision\" : \"decided when inputs are ready\""), report::toJson);
    }

    @Test
    void afterARunEveryTaskIsACacheHitAndAVersionBumpShowsAsSuch() {
        assertTrue(kit.run(flow("plan", "1.0"), mini).successful());

        assertEquals(List.of("raw/orders cache hit cache-valid", "raw/count cache hit cache-valid",
                "report/summary cache hit cache-valid"), steps(plan(flow("plan", "1.0"), RunOptions.defaults())));

        PlanReport bumped = plan(flow("plan", "1.1"), RunOptions.defaults());
        assertEquals("raw/orders run version-changed 1.0 -> 1.1", describe(bumped.tasks().get(0)), bumped::toText);
        assertEquals(Decision.DECIDED_WHEN_INPUTS_ARE_READY, bumped.step("raw", "count").orElseThrow().decision(), bumped::toText);
        assertEquals(Decision.DECIDED_WHEN_INPUTS_ARE_READY, bumped.step("report", "summary").orElseThrow().decision());

        PlanReport only = plan(flow("plan", "1.1"), RunOptions.defaults().only("orders"));
        assertEquals(List.of("raw/orders run version-changed 1.0 -> 1.1", "raw/count not selected not-selected",
                "report/summary not selected not-selected"), steps(only));
    }

    @Test
    void aTaskThatFinishedInAFailedAttemptOfItsStageShowsAsResumed() {
        failCount = true;
        assertTrue(!kit.run(flow("plan", "1.0"), mini).successful());
        failCount = false;

        PlanReport report = plan(flow("plan", "1.0"), RunOptions.defaults());

        assertEquals(List.of("raw/orders resumed resumed", "raw/count run no-cache-entry",
                "report/summary decided when inputs are ready its key needs raw/count.count, produced in this run"),
                steps(report), report::toText);
        FlowRunRecord run = kit.run(flow("plan", "1.0"), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(java.util.Set.of("count", "summary"), run.ran(), "the run does as planned");
    }

    @Test
    void planningWritesNothingNotEvenTheCleanupOfAKilledRun() {
        assertTrue(kit.run(flow("plan", "1.0"), mini).successful());
        TableStore store = store();
        // a run killed mid-stage left its transaction: a run drops it under its lock, a plan leaves it
        store.beginStage("raw");
        String transaction = store.transactionSchema("raw");
        store.writeSql(new TableLocation(transaction, "half_done"), "SELECT 1 AS x", TableSpec.NONE);
        Map<String, Object> before = snapshot(store);
        int ran = calls.get();

        plan(flow("plan", "1.1"), RunOptions.defaults());
        plan(flow("plan", "1.0"), RunOptions.defaults());

        assertEquals(before, snapshot(store()));
        assertEquals(List.of("half_done"), store().listTables(transaction));
        assertEquals(ran, calls.get(), "planning runs no task");
    }

    @Test
    void aStageCommittedByAnotherFlowFailsThePlanAsItWouldFailTheRun() {
        assertTrue(kit.run(flow("plan", "1.0"), mini).successful());

        CompletionException failed = assertThrows(CompletionException.class,
                () -> plan(flow("other_plan", "1.0"), RunOptions.defaults()));

        WeirException cause = assertInstanceOf(WeirException.class, failed.getCause());
        assertTrue(cause.getMessage().contains("was committed by flow 'plan'"), cause.getMessage());
    }

    /** Per stage of the flow: its committed tables, transaction tables, cache records, owner, kept attempt. */
    private static Map<String, Object> snapshot(TableStore store) {
        Map<String, Object> state = new LinkedHashMap<>();
        for (String stage : List.of("raw", "report")) {
            state.put(stage + " committed", store.isCommitted(stage));
            state.put(stage + " committed tables", store.listTables(store.committedSchema(stage)));
            state.put(stage + " transaction tables", store.listTables(store.transactionSchema(stage)));
            state.put(stage + " records", store.committedTasks(stage));
            state.put(stage + " owner", store.stageOwner(stage));
            state.put(stage + " kept", store.keptAttempt(stage));
        }
        return state;
    }

    /** A store of its own on the instance's database, closed after the test. */
    private TableStore store() {
        TableStoreFactory factory = ServiceLoader.load(TableStoreFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.kind().equals(mini.tableStore().kind()))
                .findFirst().orElseThrow();
        TableStore store = factory.open(mini.tableStore());
        store.init();
        stores.add(store);
        return store;
    }
}
