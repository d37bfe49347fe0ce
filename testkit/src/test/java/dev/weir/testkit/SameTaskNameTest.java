package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.FlowDefinitionException;
import dev.weir.engine.Ref;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskState;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Task names are unique per stage, not per flow: a task {@code load} in stage {@code a} and one in stage
 * {@code b} are two tasks with their own outputs, keys and cache entries, addressed by stage and name.
 * On every store: {@link SameTaskNameOnDuckDbTest}, {@link SameTaskNameOnPostgresTest}.
 */
abstract class SameTaskNameTest extends FlowKitTest {

    static final TaskId A_LOAD = new TaskId("a", "load");
    static final TaskId B_LOAD = new TaskId("b", "load");
    static final TaskId C_BOTH = new TaskId("c", "both");

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    static Rows numbers(long n, long factor) {
        Rows.Builder rows = Rows.builder("x");
        for (long i = 1; i <= n; i++) {
            rows.add(i * factor);
        }
        return rows.build();
    }

    /** a/load writes 3 numbers, b/load 5 scaled by {@code bFactor}; c/both sums each (both tables named load). */
    static Flow twoLoads(long bFactor) {
        return Flow.define("two_loads", f -> {
            Ref a = f.stage("a").task("load").version("1")
                    .produces(ctx -> Table.of(numbers(3, 1))).ref();
            Ref b = f.stage("b").task("load").version("1").constant("factor", bFactor)
                    .produces(ctx -> Table.of(numbers(5, ctx.input("factor", Long.class)))).ref();
            f.stage("c").task("both").version("1").input("a", a, Rows.class).input("b", b, Rows.class)
                    .produces(ctx -> Table.of(Rows.builder("a_sum", "b_sum")
                            .add(sum(ctx.input("a", Rows.class)), sum(ctx.input("b", Rows.class))).build()));
        });
    }

    static long sum(Rows rows) {
        return rows.stream().mapToLong(r -> ((Number) r.get("x")).longValue()).sum();
    }

    static long cell(FlowRunRecord run, Ref ref, String column) {
        return ((Number) run.result().get(ref, Rows.class).get(0).get(column)).longValue();
    }

    @Test
    void twoStagesEachRunTheirOwnTaskOfOneNameAndBothAreCached() {
        FlowRunRecord first = kit.run(twoLoads(10), mini);

        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals(Set.of(A_LOAD, B_LOAD, C_BOTH), first.ranIds());
        assertEquals(3, first.result().get(new Ref("a", "load", "load"), Rows.class).size());
        assertEquals(150, sum(first.result().get(new Ref("b", "load", "load"), Rows.class)));
        assertEquals(6, cell(first, new Ref("c", "both", "both"), "a_sum"));
        assertEquals(150, cell(first, new Ref("c", "both", "both"), "b_sum"));
        assertEquals(TaskState.COMPLETED, first.task("a", "load").state());
        assertEquals(TaskState.COMPLETED, first.result().state("b", "load"));

        FlowRunRecord again = kit.run(twoLoads(10), mini);
        assertEquals(Set.of(A_LOAD, B_LOAD, C_BOTH), again.cacheHitIds(), () -> again.result().toJson());
        assertEquals(150, cell(again, new Ref("c", "both", "both"), "b_sum"));
    }

    @Test
    void theRunRecordNamesStageAndTaskWhereBareNamesCollapse() {
        Flow failing = Flow.define("two_loads", f -> {
            Ref a = f.stage("a").task("load").produces(ctx -> Table.of(numbers(3, 1))).ref();
            Ref b = f.stage("b").task("load").produces(ctx -> {
                throw new IllegalStateException("b's load fails");
            }).ref();
            f.stage("c").task("both").input("a", a, Rows.class).input("b", b, Rows.class)
                    .produces(ctx -> Table.of(numbers(1, 1)));
        });
        FlowRunRecord first = kit.run(twoLoads(10), mini);
        assertEquals(Set.of("load", "both"), first.ran(), "bare names: two tasks named load count once");
        assertEquals(Set.of(A_LOAD, B_LOAD, C_BOTH), first.ranIds());

        FlowRunRecord run = kit.run(failing, mini);

        assertFalse(run.successful());
        assertEquals(Set.of(B_LOAD), run.failedIds());
        assertEquals(Set.of(C_BOTH), run.skippedIds());
        assertEquals(Set.of("load"), run.failed());
    }

    @Test
    void sameNamedTasksHaveTheirOwnKeysAndCacheEntries() {
        kit.run(twoLoads(10), mini);

        FlowRunRecord changed = kit.run(twoLoads(100), mini);

        assertEquals(Set.of(B_LOAD, C_BOTH), changed.ranIds(), () -> changed.result().toJson());
        assertEquals(Set.of(A_LOAD), changed.cacheHitIds());
        assertEquals(6, cell(changed, new Ref("c", "both", "both"), "a_sum"));
        assertEquals(1500, cell(changed, new Ref("c", "both", "both"), "b_sum"));

        FlowRunRecord back = kit.run(twoLoads(10), mini);
        assertEquals(Set.of(B_LOAD, C_BOTH), back.ranIds(), "one entry per task: b's entry now holds factor 100");
        assertEquals(150, cell(back, new Ref("c", "both", "both"), "b_sum"));
    }

    @Test
    void theRunRecordNamesStageAndTaskWhereBareNamesCountSameNamedTasksOnce() {
        FlowRunRecord first = kit.run(twoLoads(10), mini);
        FlowRunRecord again = kit.run(twoLoads(10), mini);

        assertEquals(Set.of("load", "both"), first.ran(), "bare names: a/load and b/load are one 'load'");
        assertEquals(Set.of(A_LOAD, B_LOAD, C_BOTH), Set.copyOf(first.startOrderIds()));
        assertEquals(3, first.startOrder().size());
        assertEquals(C_BOTH, first.startOrderIds().get(2), "c/both reads both loads, so it starts last");
        assertEquals(Set.of(A_LOAD, B_LOAD, C_BOTH), again.cacheHitIds());
        assertEquals(Set.of("load", "both"), again.cacheHits());
    }

    @Test
    void onlyStageSlashTaskRunsJustThatTask() {
        kit.run(twoLoads(10), mini);

        FlowRunRecord one = kit.run(twoLoads(10), mini, RunOptions.defaults().only("b/load"));

        assertTrue(one.successful(), () -> one.result().toJson());
        assertEquals(Set.of(B_LOAD), one.ranIds());
        assertEquals(Set.of(A_LOAD, C_BOTH), one.idsIn(TaskState.SKIPPED));
        assertEquals(150, sum(one.result().get(new Ref("b", "load", "load"), Rows.class)));
    }

    @Test
    void onlyAnAmbiguousTaskNameIsAnErrorListingTheQualifiedNames() {
        FlowRunRecord run = kit.run(twoLoads(10), mini, RunOptions.defaults().only("load"));

        assertFalse(run.successful());
        assertEquals(Set.of(), run.ranIds());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.contains("'load' is ambiguous") && message.contains("a/load")
                && message.contains("b/load"), message);
    }

    @Test
    void aBareNameAddressesATaskOnlyWhenOneStageHasIt() {
        Flow flow = twoLoads(10);
        IllegalArgumentException ambiguous = assertThrows(IllegalArgumentException.class, () -> flow.task("load"));
        assertTrue(ambiguous.getMessage().contains("[a, b]"), ambiguous.getMessage());
        assertEquals(B_LOAD, flow.task("b", "load").orElseThrow().id());
        assertEquals(C_BOTH, flow.task("both").orElseThrow().id());

        FlowRunRecord run = kit.run(flow, mini);
        assertThrows(IllegalArgumentException.class, () -> run.task("load"));
        assertEquals(TaskState.COMPLETED, run.task("both").state());
        assertEquals(TaskState.COMPLETED, run.task("a/load").state());
        assertTrue(run.result().toJson().contains("\"stage\" : \"b\""), run.result().toJson());
    }

    @Test
    void aStageStillRefusesTwoTasksOfOneName() {
        FlowDefinitionException e = assertThrows(FlowDefinitionException.class, () -> Flow.define("dup", f -> {
            Stage a = f.stage("a");
            a.task("load").version("1").produces(ctx -> Table.of(numbers(1, 1)));
            f.stage("b").task("load").version("1").produces(ctx -> Table.of(numbers(1, 1)));
            a.task("load");
        }));
        assertTrue(e.getMessage().contains("stage 'a', task 'load'"), e.getMessage());
    }
}
