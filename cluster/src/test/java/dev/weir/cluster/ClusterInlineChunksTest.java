package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.channel.ArrowChannel;
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
import org.apache.arrow.memory.BufferAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batched task whose input is inlined (held in the coordinator's memory, never stored): its chunks run
 * on worker nodes, each pulling its own rows of the input from the coordinator's Arrow side channel. The
 * output is compared with a run in one JVM; every offer ends freed and every node's memory at 0.
 */
class ClusterInlineChunksTest {

    private static final long ORDERS = 20_000;

    @TempDir
    Path dir;
    private TestCluster cluster;
    private FlowTestKit kit;
    private ArrowChannel channel;

    @BeforeEach
    void start() {
        TestPostgres.require(); // the PG* variables' server, else an embedded one; skips (fails under CI) without
        cluster = new TestCluster();
        kit = FlowTestKit.create(cluster.coordinator, dir).timeout(Duration.ofSeconds(60));
        channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() {
        if (channel != null) {
            channel.close();
        }
        if (kit != null) {
            kit.close(); // fails when a run leaked Arrow memory on the coordinator
        }
        if (cluster != null) {
            cluster.close(); // fails when a worker leaked
        }
    }

    @Test
    void chunksOfATaskWithAnInlinedInputSpreadOverTwoWorkersAndTheOutputIsExact() throws Exception {
        Flow flow = ScoringFlow.inlined(ORDERS);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode one = cluster.worker(2, flows, instance);
        TestCluster.WorkerNode two = cluster.worker(2, flows, instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows, channel)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            Result onCluster = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster.failure());
            Map<String, Integer> byNode = placement.chunksByNode();
            assertEquals(8, byNode.values().stream().mapToInt(Integer::intValue).sum(), byNode::toString);
            assertTrue(byNode.getOrDefault(one.address(), 0) > 0 && byNode.getOrDefault(two.address(), 0) > 0,
                    () -> "both workers should run chunks: " + byNode);
            assertTrue(channel.bytesServed() > ORDERS * 8, () -> "the workers pulled the orders' rows: "
                    + channel.bytesServed() + " bytes");
            assertEquals(0, channel.offered(), "every chunk's rows were pulled or withdrawn");
            awaitFreed(one.allocator);
            awaitFreed(two.allocator);
            Result local = kit.run(flow, kit.postgresInstance("local")).result();
            assertTrue(local.successful(), () -> "the local run failed: " + local);
            ClusterRuns.Summary expected = ClusterRuns.summary(local);
            assertEquals(ORDERS, expected.rows());
            assertEquals(expected, ClusterRuns.summary(onCluster));
            onCluster.close(); // each result keeps its run's inlined orders in memory until closed
            local.close();
            assertEquals(0, kit.allocator().getAllocatedMemory(), "the coordinator freed every chunk's rows");
        }
    }

    @Test
    void aWorkerLostMidChunkLosesNoRowAndAddsNone() throws Exception {
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode kept = cluster.worker(2, ChunkGate.passing().scoringInlined(ORDERS), instance);
        ChunkGate lostGate = ChunkGate.letting(0); // its chunks cannot finish: they are in flight when it goes
        TestCluster.WorkerNode lost = cluster.worker(2, lostGate.scoringInlined(ORDERS), instance);
        Flow flow = ScoringFlow.inlined(ORDERS);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(),
                FlowResolver.of(ScoringFlow.class, List.of(flow)), channel)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            lostGate.awaitArrived(2, Duration.ofSeconds(30)); // both its slots pulled a chunk's rows and compute
            ClusterRuns.awaitChunks(placement, 1, Duration.ofSeconds(30));
            lost.stop(lostGate::abandon); // its chunks in flight go again, with their rows, to the other worker
            Result onCluster = run.get(60, TimeUnit.SECONDS);
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster);
            assertEquals(Map.of(kept.address(), 8), placement.chunksByNode(),
                    "the lost worker's chunks ran again on the other one");
            ClusterRuns.Summary summary = ClusterRuns.summary(onCluster);
            assertEquals(new ClusterRuns.Summary(ORDERS, ORDERS, summary.checksum()), summary);
            assertEquals(0, channel.offered(), "the lost attempts' offers were freed");
            awaitFreed(kept.allocator);
            Result local = kit.run(ScoringFlow.inlined(ORDERS), kit.postgresInstance("local")).result();
            assertEquals(ClusterRuns.summary(local), summary);
            onCluster.close(); // each result keeps its run's inlined orders in memory until closed
            local.close();
            assertEquals(0, kit.allocator().getAllocatedMemory(), "the coordinator freed every attempt's rows");
        }
    }

    @Test
    void aWorkerWithoutASideChannelRefusesAndTheChunkRunsElsewhereWithFreshRows() throws Exception {
        Flow flow = ScoringFlow.inlined(ORDERS);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        TestCluster.WorkerNode without = cluster.worker(2, flows, instance, false);
        TestCluster.WorkerNode with = cluster.worker(2, flows, instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows, channel)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            Result onCluster = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster.failure());
            assertEquals(Map.of(with.address(), 8), placement.chunksByNode(), "the refused chunks ran on the other");
            assertEquals(0, channel.offered(), "the rows offered to the refusing worker were withdrawn");
            assertEquals(ORDERS, ClusterRuns.summary(onCluster).distinct());
            awaitFreed(without.allocator);
            onCluster.close();
            assertEquals(0, kit.allocator().getAllocatedMemory(), "the coordinator freed every attempt's rows");
        }
    }

    /**
     * One chunk fails for good on one worker while another worker holds the rows of other chunks: the rows
     * of one it is pulling (the transfer under way, unacknowledged) and of others it has not pulled. The run
     * fails naming the chunk, and as its result arrives the run's memory is closed with nothing held: the
     * rows on offer belong to the side channel, which frees the unpulled ones as the run drops their
     * attempts and the one being streamed when its transfer is cut off.
     */
    @Test
    void aChunkFailingWhileOtherChunksRowsAreOnOfferFailsTheRunWithoutHoldingItsMemory() throws Exception {
        InstanceConfig instance = kit.postgresInstance("mini").withFailFast(true)
                .withTimeouts(InstanceConfig.Timeouts.DEFAULT.withChunk(Duration.ofSeconds(3)));
        Flow failing = ScoringFlow.inlined(ORDERS, () -> {
            throw new IllegalStateException("this worker cannot score");
        });
        cluster.worker(1, FlowResolver.of(ScoringFlow.class, List.of(failing)), instance);
        Flow flow = ScoringFlow.inlined(ORDERS);
        try (HoldingWorker holding = HoldingWorker.chunks(cluster.bareNode(), 3);
             ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(),
                     FlowResolver.of(ScoringFlow.class, List.of(flow)), channel)) {
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(20));
            Result result = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();

            assertFalse(result.successful(), "the run should fail");
            Throwable failure = result.failure().orElseThrow();
            assertTrue(failure.getMessage().contains("chunk") && failure.getMessage().contains("'score'")
                    && failure.toString().contains("this worker cannot score"), () -> "the failure should name the"
                    + " task, the chunk and its error: " + failure);
            assertTrue(holding.streaming() && holding.received().size() >= 2, () -> "the holding worker should be"
                    + " pulling one chunk's rows and hold others' unpulled: " + holding.received());
            assertEquals(List.of(), runAllocators(kit.allocator()), "the run closed its memory, and it held nothing");
            assertTrue(channel.offered() <= 1, () -> channel.offered() + " offers left: only the rows being streamed"
                    + " may wait for their transfer to be cut off; the unpulled ones were freed with their attempts");
            result.close(); // it kept the run's inlined orders
            long channels = channel.heldBytes(); // read first: the channel only frees from here on
            long coordinator = kit.allocator().getAllocatedMemory();
            assertTrue(coordinator <= channels, () -> "every byte the coordinator holds is the side channel's: "
                    + coordinator + " held, " + channels + " of them by the channel");
        }
        channel.close(); // frees the rows of a transfer it cut off, and checks its memory
        assertEquals(0, kit.allocator().getAllocatedMemory(), "the coordinator holds no Arrow memory");
        assertEquals(List.of(), kit.allocator().getChildAllocators().stream().map(BufferAllocator::getName).toList());
    }

    /** The names of the run allocators still open under {@code root}. */
    private static List<String> runAllocators(BufferAllocator root) {
        return root.getChildAllocators().stream().map(BufferAllocator::getName).filter(n -> n.startsWith("run-"))
                .toList();
    }

    @Test
    void withoutASideChannelTheChunksStayOnTheCoordinator() throws Exception {
        Flow flow = ScoringFlow.inlined(2_000);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        cluster.worker(2, flows, instance);
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows)) {
            ClusterRuns.awaitSlots(placement, 2, Duration.ofSeconds(20));
            Result result = kit.run(flow, instance, RunOptions.defaults().chunkPlacement(placement)).result();
            assertTrue(result.successful(), () -> "the run failed: " + result.failure());
            assertEquals(Map.of(), placement.chunksByNode(), "no chunk can reach a worker without the side channel");
            assertEquals(2_000, ClusterRuns.summary(result).rows());
        }
    }

    /** Waits until a worker's chunks have freed their memory (a computation is closed after its append). */
    private static void awaitFreed(BufferAllocator allocator) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (allocator.getAllocatedMemory() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(0, allocator.getAllocatedMemory(), "a worker still holds chunk memory");
    }
}
