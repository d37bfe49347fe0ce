package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.node.Echo.Ping;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A worker embedded in a service (exit-jvm-when-down off), and the beforeLeave hook's contract. */
class EmbeddedNodeTest {

    private static final Duration UP_BOUND = Duration.ofSeconds(30);
    private static ClusterNode<Ping> coordinator;

    @BeforeAll
    static void startCoordinator() throws Exception {
        coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of()),
                Echo.create(new LinkedBlockingQueue<>()), UP_BOUND);
    }

    @AfterAll
    static void stopCoordinator() {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    @Test
    void anEmbeddedWorkerThatIsDownedTerminatesItsActorSystemAndKeepsTheJvm() throws Exception {
        ClusterNode<Ping> worker = TestNodes.startUp(
                TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator))),
                Echo.create(new LinkedBlockingQueue<>()), UP_BOUND);
        CompletableFuture<Optional<CoordinatedShutdown.Reason>> hookSaw = new CompletableFuture<>();
        worker.beforeLeave("record-reason", () -> {
            hookSaw.complete(worker.shutdownReason());
            return CompletableFuture.completedFuture(Done.getInstance());
        });

        Cluster.get(Adapter.toClassic(coordinator.system())).down(worker.address());

        worker.terminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
        assertEquals(Optional.of(CoordinatedShutdown.clusterDowningReason()), worker.shutdownReason());
        assertEquals(Optional.of(CoordinatedShutdown.clusterDowningReason()), hookSaw.get(1, TimeUnit.SECONDS),
                "the hook runs on downing too, and can tell it from a leave");
    }

    @Test
    void leaveWaitsForTheBeforeLeaveTaskThenLeavesTheCluster() throws Exception {
        ClusterNode<Ping> worker = TestNodes.startUp(
                TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator))),
                Echo.create(new LinkedBlockingQueue<>()), UP_BOUND);
        CompletableFuture<Done> chunksDone = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch draining = new java.util.concurrent.CountDownLatch(1);
        worker.beforeLeave("finish-chunks", () -> {
            draining.countDown();
            return chunksDone;
        });

        CompletableFuture<Done> left = worker.leave().toCompletableFuture();
        assertTrue(draining.await(20, TimeUnit.SECONDS), "the leave ran the beforeLeave task");
        Thread.sleep(500); // time for a leave that did not wait for the task to get under way
        assertTrue(!left.isDone() && isMember(worker), "still a member while its chunks run");
        chunksDone.complete(Done.getInstance());

        left.get(20, TimeUnit.SECONDS);
        assertEquals(Optional.of(ClusterNode.LeaveRequested.INSTANCE), worker.shutdownReason());
        awaitNotMember(worker, Duration.ofSeconds(10));
    }

    @Test
    void aBeforeLeaveTaskThatNeverEndsIsCutOffAtTheDrainTimeout() throws Exception {
        ClusterNode<Ping> worker = TestNodes.startUp(
                TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator)))
                        .withDrainTimeout(Duration.ofSeconds(1)),
                Echo.create(new LinkedBlockingQueue<>()), UP_BOUND);
        worker.beforeLeave("stuck-chunk", CompletableFuture::new);

        long start = System.nanoTime();
        worker.leave().toCompletableFuture().get(20, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis >= 1000, "waited for the drain timeout, " + millis + " ms");
        awaitNotMember(worker, Duration.ofSeconds(10));
    }

    @Test
    void aTakenPortFailsTheStartNamingTheAddressAndTheKeys() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            NodeSettings settings = TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator)))
                    .withPort(taken.getLocalPort());
            ClusterNodeException e = org.junit.jupiter.api.Assertions.assertThrows(ClusterNodeException.class,
                    () -> ClusterNode.start(settings, Echo.create(new LinkedBlockingQueue<>())));
            assertTrue(e.getMessage().startsWith("cluster node worker cannot start on 127.0.0.1:"
                    + taken.getLocalPort() + " (test node: weir.cluster.hostname, weir.cluster.port): "), e.getMessage());
            assertTrue(e.getCause() != null);
        }
    }

    private static boolean isMember(ClusterNode<?> worker) {
        return Cluster.get(Adapter.toClassic(coordinator.system())).state().getMembers().toString()
                .contains(worker.address().toString());
    }

    private static void awaitNotMember(ClusterNode<?> worker, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (isMember(worker)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(worker.address() + " is still a member after " + bound);
            }
            Thread.sleep(50);
        }
    }
}
