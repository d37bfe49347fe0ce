package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Subsets, validation modes, engines, instances, locks. */
class RunOptionsTest extends FlowKitTest {

    final AtomicReference<Object> cacheValue = new AtomicReference<>("input-1");

    private Flow sample(Map<String, String> versions) {
        return SampleFlows.twoStages(versions, cacheValue);
    }

    @Test
    void runningOneStageLeavesTheOthersAndKeepsItsUnselectedTablesOnCommit() {
        kit.run(sample(Map.of()), mini);

        FlowRunRecord subset = kit.run(sample(Map.of("double_b", "2", "double_a2", "2")), mini,
                RunOptions.defaults().only("double_b"));

        assertTrue(subset.successful(), () -> subset.result().toJson());
        assertEquals(Set.of("double_b"), subset.ran());
        assertEquals(Set.of("input_task", "double_a", "double_a2"), subset.skipped());
        assertEquals(4, subset.result().get(new Ref("stage_2", "double_a2", "double_a2"), Rows.class).size(),
                "the unselected task's table survives the commit of its stage");
    }

    @Test
    void forceCacheInvalidRunsEverything() {
        kit.run(sample(Map.of()), mini);
        FlowRunRecord forced = kit.run(sample(Map.of()), mini,
                RunOptions.defaults().cacheValidation(Mode.FORCE_CACHE_INVALID));
        assertEquals(4, forced.ran().size());
    }

    @Test
    void ignoreFreshInputKeepsTheCacheDespiteANewCacheFunctionValue() {
        kit.run(sample(Map.of()), mini);
        cacheValue.set("input-2");
        FlowRunRecord ignored = kit.run(sample(Map.of()), mini,
                RunOptions.defaults().cacheValidation(Mode.IGNORE_FRESH_INPUT));
        assertEquals(4, ignored.cacheHits().size());
    }

    @Test
    void forceFreshInputRerunsTasksWithACacheFunctionAndTheirDownstream() {
        kit.run(sample(Map.of()), mini);
        FlowRunRecord forced = kit.run(sample(Map.of()), mini,
                RunOptions.defaults().cacheValidation(Mode.FORCE_FRESH_INPUT));
        assertEquals("forced (force-fresh-input)", forced.task("input_task").reason());
        assertEquals(4, forced.ran().size());
    }

    @Test
    void assertNoFreshInputFailsTheRunWhenACacheFunctionChanged() {
        kit.run(sample(Map.of()), mini);
        cacheValue.set("input-2");
        FlowRunRecord run = kit.run(sample(Map.of()), mini,
                RunOptions.defaults().cacheValidation(Mode.ASSERT_NO_FRESH_INPUT));
        assertFalse(run.successful());
        assertTrue(run.result().failure().orElseThrow().getMessage().contains("task 'input_task'"));
    }

    @Test
    void ignoreTaskVersionTreatsEveryVersionedTaskAsCacheInvalid() {
        kit.run(sample(Map.of()), mini);
        FlowRunRecord run = kit.run(sample(Map.of()), mini, RunOptions.defaults()
                .cacheValidation(new CacheValidation(Mode.NORMAL, true, false)));
        assertEquals(Set.of("input_task", "double_a", "double_b", "double_a2"), run.ran());
        assertEquals("forced (ignore-task-version)", run.task("double_a").reason());
    }

    @Test
    void aModeGivenAloneKeepsTheInstancesOtherCacheValidationSettings() {
        InstanceConfig ignoringVersions = mini.withCacheValidation(new CacheValidation(Mode.IGNORE_FRESH_INPUT, true, false));
        kit.run(sample(Map.of()), ignoringVersions);
        FlowRunRecord run = kit.run(sample(Map.of()), ignoringVersions, RunOptions.defaults().cacheValidation(Mode.NORMAL));
        assertEquals(Set.of("input_task", "double_a", "double_b", "double_a2"), run.ran());
        assertEquals("forced (ignore-task-version)", run.task("double_a").reason(),
                "the run keeps the instance's ignore_task_version");

        FlowRunRecord replaced = kit.run(sample(Map.of()), ignoringVersions,
                RunOptions.defaults().cacheValidation(CacheValidation.NORMAL));
        assertEquals(4, replaced.cacheHits().size(), "a whole CacheValidation replaces the instance's");
    }

    @Test
    void sequentialEngineRunsOneTaskAtATimeInFlowOrder() {
        InstanceConfig sequential = mini.withOrchestration(
                new InstanceConfig.Orchestration(InstanceConfig.Orchestration.Engine.SEQUENTIAL, 1));
        FlowRunRecord run = kit.run(sample(Map.of()), sequential);
        assertEquals(List.of("input_task", "double_a", "double_b", "double_a2"), run.startOrder());
    }

    @Test
    void instancesDoNotTouchEachOthersData() {
        InstanceConfig full = kit.instance("full");
        kit.run(sample(Map.of()), full);
        FlowRunRecord miniRun = kit.run(sample(Map.of()), mini);
        assertEquals(4, miniRun.ran().size(), "mini has its own cache");
        FlowRunRecord fullAgain = kit.run(sample(Map.of()), full);
        assertEquals(4, fullAgain.cacheHits().size());
    }

    @Test
    void aTaskCopiesAFilteredSampleOfAnotherInstancesCommittedStage() {
        InstanceConfig full = kit.instance("full");
        kit.run(sample(Map.of()), full);
        Flow copy = Flow.define("sample", f -> {
            Stage s1 = f.stage("stage_1");
            s1.task("copy_filtered_inputs").outputs("dfA", "dfB").sourceInstance(full).lazy().produces(ctx ->
                    dev.weir.engine.Outputs.of(
                            Table.of(dev.weir.engine.Sql.of("SELECT * FROM " + ctx.sourceTables().get("dfA") + " LIMIT 1"), "dfA"),
                            Table.of(dev.weir.engine.Sql.of("SELECT * FROM " + ctx.sourceTables().get("dfB") + " LIMIT 1"), "dfB")));
        });
        FlowRunRecord run = kit.run(copy, mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(1, run.result().get(new Ref("stage_1", "copy_filtered_inputs", "dfA"), Rows.class).size());

        assertEquals(Set.of("copy_filtered_inputs"), kit.run(copy, mini).cacheHits());
        cacheValue.set("input-2");
        kit.run(sample(Map.of()), full);
        assertEquals(Set.of("copy_filtered_inputs"), kit.run(copy, mini).ran(),
                "a new commit of the source stage invalidates the copy");
    }

    @Test
    void secondRunOfTheSameInstanceWaitsForTheLock() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Flow slow = Flow.define("slow", f -> f.stage("s").task("slow").produces(ctx -> {
            inside.countDown();
            release.await();
            return 1;
        }));
        var first = kit.weir().run(slow, mini).toCompletableFuture();
        assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS));
        var probe = kit.testKit().createTestProbe(dev.weir.engine.RunEvent.class);
        var second = kit.weir().run(slow, mini, RunOptions.defaults().listener(probe.getRef())).toCompletableFuture();
        dev.weir.engine.RunEvent.Waiting waiting = probe.expectMessageClass(dev.weir.engine.RunEvent.Waiting.class,
                java.time.Duration.ofSeconds(10));
        assertTrue(waiting.message().contains("mini"), waiting.message());
        release.countDown();
        assertTrue(first.get(30, java.util.concurrent.TimeUnit.SECONDS).successful());
        assertTrue(second.get(30, java.util.concurrent.TimeUnit.SECONDS).successful());
    }
}
