package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batched task's chunks on worker nodes: a coordinator and workers as actor systems in this JVM over
 * loopback TCP, PostgreSQL as the shared store. The output of a cluster run is compared with a run of the
 * same flow in one JVM: row count, distinct keys and a checksum.
 */
class ClusterChunksTest {

    private static final long ORDERS = 20_000;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private FlowTestKit kit;

    @BeforeEach
    void start() {
        TestPostgres.require(); // the PG* variables' server, else an embedded one; skips (fails under CI) without
        cluster = new TestCluster();
        kit = FlowTestKit.create(cluster.coordinator, dir).timeout(Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        if (kit != null) {
            kit.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void chunksSpreadOverTwoWorkersAndTheOutputIsExact() throws Exception {
        Flow flow = ScoringFlow.create(ORDERS);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode one = cluster.worker(2, flows, instance);
        TestCluster.WorkerNode two = cluster.worker(2, flows, instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            var record = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement));
            Result onCluster = record.result();
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster.failure());
            Map<String, Integer> byNode = placement.chunksByNode();
            assertEquals(8, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
            assertTrue(byNode.getOrDefault(one.address(), 0) > 0 && byNode.getOrDefault(two.address(), 0) > 0,
                    () -> "both workers should run chunks: " + byNode);
            // the run's own result names the node of every chunk, as the run report shows it
            dev.weir.engine.TaskResult score = onCluster.task("scored", "score").orElseThrow();
            assertEquals(8, score.chunkNodes().size(), score::toString);
            Map<String, Long> reported = new java.util.TreeMap<>();
            byNode.forEach((node, n) -> reported.put(node, (long) n));
            assertEquals(reported, score.chunksByNode());
            // and the run's events name it as each chunk ends, for the live progress
            Map<String, Long> fromEvents = new java.util.TreeMap<>();
            record.events().stream().filter(e -> e instanceof dev.weir.engine.RunEvent.ChunkFinished)
                    .map(e -> ((dev.weir.engine.RunEvent.ChunkFinished) e).node())
                    .forEach(node -> fromEvents.merge(String.valueOf(node), 1L, Long::sum));
            assertEquals(reported, fromEvents);
            Result local = kit.run(flow, kit.postgresInstance("local")).result();
            assertTrue(local.successful(), () -> "the local run failed: " + local);
            ClusterRuns.Summary expected = ClusterRuns.summary(local);
            assertEquals(ORDERS, expected.rows());
            assertEquals(expected, ClusterRuns.summary(onCluster));
        }
    }

    @Test
    void aWorkerLostMidTaskLosesNoRowAndAddsNone() throws Exception {
        Flow flow = ScoringFlow.create(ORDERS);
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode kept = cluster.worker(2, gated(ChunkGate.passing()), instance);
        ChunkGate lostGate = ChunkGate.letting(0); // its chunks cannot finish: they are in flight when it goes
        TestCluster.WorkerNode lost = cluster.worker(2, gated(lostGate), instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), resolver(flow))) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            lostGate.awaitArrived(2, Duration.ofSeconds(30)); // both its slots hold a chunk of the task
            ClusterRuns.awaitChunks(placement, 1, Duration.ofSeconds(30));
            lost.stop(lostGate::abandon); // its chunks in flight go again, to the other worker
            Result onCluster = run.get(60, TimeUnit.SECONDS);
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster);
            assertEquals(Map.of(kept.address(), 8), placement.chunksByNode(),
                    "the lost worker's chunks ran again on the other one");
            ClusterRuns.Summary summary = ClusterRuns.summary(onCluster);
            assertEquals(new ClusterRuns.Summary(ORDERS, ORDERS, summary.checksum()), summary);
            Result local = kit.run(ScoringFlow.create(ORDERS), kit.postgresInstance("local")).result();
            assertEquals(ClusterRuns.summary(local), summary);
        }
    }

    @Test
    void aDrainingWorkerFinishesItsChunksAndTakesNoNewOnes() throws Exception {
        Flow flow = ScoringFlow.create(ORDERS);
        InstanceConfig instance = kit.postgresInstance("mini");
        ChunkGate keptGate = ChunkGate.letting(0);
        ChunkGate leavingGate = ChunkGate.letting(0);
        cluster.worker(2, gated(keptGate), instance);
        TestCluster.WorkerNode leaving = cluster.worker(2, gated(leavingGate), instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), resolver(flow))) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            // every slot holds a chunk, and four chunks wait for one
            keptGate.awaitArrived(2, Duration.ofSeconds(30));
            leavingGate.awaitArrived(2, Duration.ofSeconds(30));
            org.apache.pekko.actor.testkit.typed.javadsl.TestProbe<org.apache.pekko.Done> drained =
                    org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.create(leaving.system);
            leaving.worker.tell(new Worker.Drain(drained.getRef()));
            leavingGate.open();
            drained.expectMessage(Duration.ofSeconds(20), org.apache.pekko.Done.getInstance());
            ClusterRuns.awaitChunksOn(placement, leaving.address(), 2, Duration.ofSeconds(20));
            // the other worker still holds two chunks at its gate, so the run cannot have ended
            assertFalse(run.isDone(), "the run should still have chunks to place after the drain");
            keptGate.open();
            Result result = run.get(60, TimeUnit.SECONDS);
            assertTrue(result.successful(), () -> "the run failed: " + result.failure());
            assertEquals(2, placement.chunksByNode().getOrDefault(leaving.address(), 0),
                    () -> "the drained worker took new chunks: " + placement.chunksByNode());
            assertEquals(8, placement.chunksByNode().values().stream().mapToInt(Integer::intValue).sum(),
                    () -> "each chunk runs once, none is lost: " + placement.chunksByNode());
            assertEquals(ORDERS, ClusterRuns.summary(result).distinct());
        }
    }

    @Test
    void aWorkerJoiningMidRunGetsWork() throws Exception {
        Flow flow = ScoringFlow.create(ORDERS);
        InstanceConfig instance = kit.postgresInstance("mini");
        ChunkGate firstGate = ChunkGate.letting(1);
        cluster.worker(1, gated(firstGate), instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), resolver(flow))) {
            ClusterRuns.awaitSlots(placement, 1, Duration.ofSeconds(20));
            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            // the first worker ran a chunk and holds the second: six are still to place when the other joins
            firstGate.awaitArrived(2, Duration.ofSeconds(30));
            TestCluster.WorkerNode late = cluster.worker(2, gated(ChunkGate.passing()), instance);
            ClusterRuns.awaitSlots(placement, 3, Duration.ofSeconds(20));
            firstGate.open();
            Result result = run.get(60, TimeUnit.SECONDS);
            assertTrue(result.successful(), () -> "the run failed: " + result);
            assertTrue(placement.chunksByNode().getOrDefault(late.address(), 0) > 0,
                    () -> "the worker that joined mid-run should run chunks: " + placement.chunksByNode());
            assertEquals(ORDERS, ClusterRuns.summary(result).distinct());
        }
    }

    @Test
    void aWorkerWithOtherFlowCodeIsRefused() throws Exception {
        Flow flow = ScoringFlow.create(2_000);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode good = cluster.worker(2, flows, instance);
        TestCluster.WorkerNode other = cluster.worker(2, new FlowResolver() {
            @Override
            public java.util.Optional<String> codeHash(String flowName) {
                return flows.codeHash(flowName).map(hash -> "another-jar");
            }

            @Override
            public Flow flow(String flowName, InstanceConfig on) {
                return flows.flow(flowName, on);
            }
        }, instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            Result result = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();
            assertTrue(result.successful(), () -> "the run failed: " + result);
            assertEquals(Map.of(good.address(), 8), placement.chunksByNode());
            assertFalse(placement.chunksByNode().containsKey(other.address()));
        }
    }

    @Test
    void aWorkerWhoseInstanceHasOtherAttrsThanTheRunRefusesItsChunks() throws Exception {
        Flow flow = ScoringFlow.create(2_000);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        cluster.worker(2, flows, instance);
        InstanceConfig withParam = instance.withAttrs(com.typesafe.config.ConfigFactory.parseMap(Map.of("region", "eu"))
                .withFallback(instance.attrs()));
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows)) {
            ClusterRuns.awaitSlots(placement, 2, Duration.ofSeconds(20));
            Result result = kit.run(flow, withParam, RunOptions.defaults().chunkPlacement(placement)).result();
            assertFalse(result.successful(), "a chunk computed with other attrs than the run's would be wrong");
            String error = result.tasks().stream().map(t -> String.valueOf(t.error())).reduce("", String::concat);
            assertTrue(error.contains("other attrs on this node than in the run"), error);
        }
    }

    @Test
    void aRunOnEmbeddedDuckDbIsRefusedAtStart() {
        Flow flow = ScoringFlow.create(100);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(),
                FlowResolver.of(ScoringFlow.class, List.of(flow)))) {
            CompletableFuture<Result> run = kit.weir().run(flow, kit.instance("mini"),
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            String message;
            try {
                Result result = run.get(30, TimeUnit.SECONDS);
                assertFalse(result.successful(), "the run should fail");
                message = result.failure().map(Throwable::toString).orElse("");
                assertTrue(result.tasks().stream().noneMatch(t -> t.rows() > 0), () -> "nothing should run: "
                        + result.tasks());
            } catch (java.util.concurrent.ExecutionException e) {
                message = String.valueOf(e.getCause());
            }
            assertTrue(message.contains("instance 'mini'") && message.contains("embedded DuckDB")
                    && message.contains("a cluster run needs a shared store (PostgreSQL)"), message);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The coordinator's resolver of {@code flow}. */
    private static FlowResolver resolver(Flow flow) {
        return FlowResolver.of(ScoringFlow.class, List.of(flow));
    }

    /** A worker's resolver: the same flow code, whose chunks wait at {@code gate}. */
    private static FlowResolver gated(ChunkGate gate) {
        return gate.scoring(ORDERS);
    }
}
