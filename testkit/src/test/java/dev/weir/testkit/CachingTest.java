package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.Ref;
import dev.weir.engine.TaskState;
import dev.weir.engine.data.Rows;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The cache rules on the basic two-stage flow, on a temporary DuckDB ({@link WeirTest}). */
@WeirTest
class CachingTest {

    final AtomicReference<Object> cacheValue = new AtomicReference<>("input-1");

    @Test
    void firstRunRunsEveryTaskAndCommitsBothStages(FlowTestKit kit, InstanceConfig mini) {
        FlowRunRecord run = kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(Set.of("input_task", "double_a", "double_b", "double_a2"), run.ran());
        assertEquals(List.of("stage_1", "stage_2"), run.committedStages());
    }

    @Test
    void resultsReadBackAsRows(FlowTestKit kit, InstanceConfig mini) {
        Flow flow = SampleFlows.twoStages(Map.of(), cacheValue);
        FlowRunRecord run = kit.run(flow, mini);

        Rows a4 = run.result().get(new Ref("stage_2", "double_a2", "double_a2"), Rows.class);
        assertEquals(SampleFlows.doubled(SampleFlows.doubled(SampleFlows.source())).asList(), a4.asList());
    }

    @Test
    void secondRunIsServedFromTheCacheAndCommitsNothing(FlowTestKit kit, InstanceConfig mini) {
        kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);

        FlowRunRecord second = kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);

        assertTrue(second.successful());
        assertEquals(Set.of("input_task", "double_a", "double_b", "double_a2"), second.cacheHits());
        assertEquals(List.of(), second.committedStages());
    }

    @Test
    void versionBumpRerunsTheTaskAndItsDownstreamOnly(FlowTestKit kit, InstanceConfig mini) {
        kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);

        FlowRunRecord bumped = kit.run(SampleFlows.twoStages(Map.of("double_a", "2.0"), cacheValue), mini);

        assertEquals(Set.of("double_a", "double_a2"), bumped.ran());
        assertEquals(Set.of("input_task", "double_b"), bumped.cacheHits());
        assertEquals("version-changed 1.0 -> 2.0", bumped.task("double_a").reason());
    }

    @Test
    void freshInputFromTheCacheFunctionRerunsEverythingDownstream(FlowTestKit kit, InstanceConfig mini) {
        kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);
        cacheValue.set("input-2");

        FlowRunRecord fresh = kit.run(SampleFlows.twoStages(Map.of(), cacheValue), mini);

        assertEquals(Set.of("input_task", "double_a", "double_b", "double_a2"), fresh.ran());
        assertEquals("fresh-input", fresh.task("input_task").reason());
    }

    @Test
    void cacheHitsInARunningStageAreCarriedForwardAndStayReadable(FlowTestKit kit, InstanceConfig mini) {
        Flow flow = SampleFlows.twoStages(Map.of(), cacheValue);
        kit.run(flow, mini);

        FlowRunRecord bumped = kit.run(SampleFlows.twoStages(Map.of("double_b", "2.0"), cacheValue), mini);

        assertEquals(Set.of("double_b"), bumped.ran());
        assertEquals(TaskState.CACHE_VALID, bumped.task("double_a2").state());
        Rows a4 = bumped.result().get(new Ref("stage_2", "double_a2", "double_a2"), Rows.class);
        assertEquals(4, a4.size());
    }
}
