package dev.weir.cluster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.node.Echo.Ping;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A worker whose coordinator leaves at the end of its run leaves too, with a reason that tells it to join
 * the seed nodes again; and joining again with a new actor system makes it a member of the next run's
 * cluster, started anew at the same seed address.
 */
class CoordinatorLeftTest {

    private static final Duration BOUND = Duration.ofSeconds(30);

    @Test
    void aWorkerLeavesWhenItsCoordinatorHasLeftAndJoinsTheNextCoordinatorsCluster() throws Exception {
        ClusterNode<Ping> coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of()),
                Echo.create(new LinkedBlockingQueue<>()), BOUND);
        int port = coordinator.address().getPort().get();
        NodeSettings workerSettings = TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator)));
        ClusterNode<Ping> worker = TestNodes.startUp(workerSettings, Echo.create(new LinkedBlockingQueue<>()), BOUND);
        worker.leaveWhenTheCoordinatorLeaves();
        ClusterNode<Ping> next = null;
        ClusterNode<Ping> again = null;
        try {
            coordinator.leave().toCompletableFuture().get(BOUND.toMillis(), TimeUnit.MILLISECONDS);

            worker.terminated().toCompletableFuture().get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(Optional.of(ClusterNode.CoordinatorLeft.INSTANCE), worker.shutdownReason());

            // the next run: a coordinator at the same address, and the worker joining the same seed again
            next = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of()).withPort(port),
                    Echo.create(new LinkedBlockingQueue<>()), BOUND);
            again = TestNodes.startUp(workerSettings, Echo.create(new LinkedBlockingQueue<>()), BOUND);
            // Up means joined, and its only seed is the next coordinator: they are members of one cluster
            ClusterNode<Ping> joined = next;
            boolean together = false;
            for (var member : org.apache.pekko.cluster.Cluster.get(
                    org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(again.system())).state().getMembers()) {
                together |= member.address().equals(joined.address());
            }
            assertTrue(together, "the worker joined the next coordinator's cluster");
        } finally {
            for (ClusterNode<Ping> node : new ClusterNode[] {again, next}) {
                if (node != null) {
                    node.close();
                }
            }
        }
    }

    @Test
    void aWorkerWithoutTheWatchStaysWhenTheCoordinatorLeaves() throws Exception {
        ClusterNode<Ping> coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of()),
                Echo.create(new LinkedBlockingQueue<>()), BOUND);
        ClusterNode<Ping> worker = TestNodes.startUp(
                TestNodes.settings(NodeRole.WORKER, List.of(TestNodes.seedOf(coordinator))),
                Echo.create(new LinkedBlockingQueue<>()), BOUND);
        try {
            coordinator.leave().toCompletableFuture().get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            Thread.sleep(3000); // a watch would have acted by now: removal follows the leave within a second or two
            assertFalse(worker.terminated().toCompletableFuture().isDone(), "an embedded worker decides for itself");
        } finally {
            worker.close();
        }
    }
}
