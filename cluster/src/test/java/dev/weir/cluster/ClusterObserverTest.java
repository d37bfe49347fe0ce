package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An observer node ({@code weir cluster}) joins a running cluster, a coordinator and two workers as actor
 * systems in this JVM over loopback TCP with every message serialized, and sees each member's roles and
 * status, each worker's slots and the chunks it holds mid-run, then leaves without disturbing the run.
 */
class ClusterObserverTest {

    private static final long ORDERS = 20_000;
    private static final Duration JOIN = Duration.ofSeconds(20);
    private static final Duration ANSWERS = Duration.ofSeconds(5);

    @TempDir
    Path dir;
    private TestCluster cluster;
    private FlowTestKit kit;
    private ActorSystem<Void> observer;

    @BeforeEach
    void start() {
        TestPostgres.require();
        cluster = new TestCluster();
        kit = FlowTestKit.create(cluster.coordinator, dir).timeout(Duration.ofSeconds(90));
    }

    @AfterEach
    void stop() {
        if (observer != null) {
            observer.terminate();
        }
        if (kit != null) {
            kit.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anObserverSeesEveryMembersRolesAndEachWorkersSlotsAndChunksInFlight() throws Exception {
        Flow flow = ScoringFlow.create(ORDERS);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        InstanceConfig instance = kit.postgresInstance("mini");
        // the workers' chunks wait at these until the test has looked, however long a look takes
        ChunkGate gateOne = ChunkGate.letting(0);
        ChunkGate gateTwo = ChunkGate.letting(0);
        TestCluster.WorkerNode one = cluster.worker(2, gateOne.scoring(ORDERS), instance);
        TestCluster.WorkerNode two = cluster.worker(3, gateTwo.scoring(ORDERS), instance);
        observer = joinObserver();
        try (ClusterPlacement placement = ClusterPlacement.start(cluster.coordinator.system(), flows)) {
            ClusterRuns.awaitSlots(placement, 5, Duration.ofSeconds(20));
            ClusterStatus idle = observe();
            String coordinator = Cluster.get(cluster.coordinator.system()).selfMember().address().toString();
            assertEquals(List.of(coordinator, one.address(), two.address()).stream().sorted().toList(),
                    idle.members().stream().map(ClusterStatus.Member::address).toList(), "every member but the observer");
            Map<String, ClusterStatus.Member> byAddress = idle.members().stream()
                    .collect(Collectors.toMap(ClusterStatus.Member::address, m -> m));
            assertEquals(List.of("coordinator"), byAddress.get(coordinator).roles());
            assertNull(byAddress.get(coordinator).worker(), "a coordinator runs no worker");
            assertEquals(new WorkerStatus(one.address(), 2, 2, false, List.of(), List.of()),
                    byAddress.get(one.address()).worker());
            assertEquals(new WorkerStatus(two.address(), 3, 3, false, List.of(), List.of()),
                    byAddress.get(two.address()).worker());
            idle.members().forEach(m -> assertEquals("Up", m.status(), m::toString));
            idle.members().forEach(m -> assertTrue(m.reachable(), m::toString));

            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            ClusterStatus busy;
            try {
                gateOne.awaitArrived(2, Duration.ofSeconds(30)); // every slot holds a chunk
                gateTwo.awaitArrived(3, Duration.ofSeconds(30));
                busy = observe();
            } finally {
                gateOne.open();
                gateTwo.open();
            }
            Map<String, WorkerStatus> busyWorkers = busy.members().stream().filter(m -> m.worker() != null)
                    .collect(Collectors.toMap(ClusterStatus.Member::address, ClusterStatus.Member::worker));
            assertEquals(2, busyWorkers.get(one.address()).chunks().size(), busy::toString);
            assertEquals(3, busyWorkers.get(two.address()).chunks().size(), busy::toString);
            for (ClusterStatus.Member member : busy.members()) {
                WorkerStatus worker = member.worker();
                if (worker == null) {
                    continue;
                }
                assertEquals(worker.slots() - worker.chunks().size(), worker.freeSlots(), worker::toString);
                for (WorkerStatus.ChunkInFlight chunk : worker.chunks()) {
                    assertEquals(List.of("cluster-scoring", "scored", "score", 1), List.of(chunk.flow(), chunk.stage(),
                            chunk.task(), chunk.attempt()), chunk::toString);
                    assertTrue(chunk.chunk() >= 0 && chunk.chunk() < 8, chunk::toString);
                    assertTrue(chunk.millis() >= 0, chunk::toString);
                }
            }
            Result result = run.get(90, TimeUnit.SECONDS);
            assertTrue(result.successful(), () -> "the run failed while observed: " + result.failure());
            String runId = busy.members().stream().filter(m -> m.worker() != null)
                    .flatMap(m -> m.worker().chunks().stream()).findFirst().orElseThrow().runId();
            assertEquals(result.runId(), runId);
            assertEquals(ORDERS, ClusterRuns.summary(result).rows(), "the observed run lost no row");
            result.close();

            ClusterStatus after = observe();
            after.members().stream().filter(m -> m.worker() != null).forEach(m -> {
                assertEquals(List.of(), m.worker().chunks(), "nothing in flight after the run");
                assertEquals(m.worker().slots(), m.worker().freeSlots());
            });
        }
        // the observer leaves cleanly: the others see it removed, not unreachable
        Cluster.get(observer).manager().tell(Leave.create(Cluster.get(observer).selfMember().address()));
        observer.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (membersOf(cluster.coordinator.system()) != 3 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(3, membersOf(cluster.coordinator.system()), () -> "the observer is still a member: "
                + Cluster.get(cluster.coordinator.system()).state().getMembers());
        assertTrue(Cluster.get(cluster.coordinator.system()).state().getUnreachable().isEmpty());
    }

    @Test
    void anObserverThatReachesNoSeedFailsWithinItsBound() throws Exception {
        ActorSystem<Void> lonely = ActorSystem.create(Behaviors.empty(), "weir", TestCluster.config("observer"));
        observer = lonely;
        int nobody;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            nobody = free.getLocalPort();
        }
        Cluster.get(lonely).manager().tell(Join.create(new org.apache.pekko.actor.Address("pekko", "weir",
                "127.0.0.1", nobody)));
        long start = System.nanoTime();
        ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () ->
                ClusterObserver.observe(lonely, Duration.ofSeconds(2), ANSWERS).toCompletableFuture()
                        .get(30, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, failed.getCause());
        assertTrue(failed.getCause().getMessage().contains("within 2000 ms"), failed.getCause().getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "bounded by its join bound");
    }

    private ActorSystem<Void> joinObserver() {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "weir", TestCluster.config("observer"));
        Cluster.get(system).manager().tell(Join.create(Cluster.get(cluster.coordinator.system()).selfMember().address()));
        return system;
    }

    private ClusterStatus observe() throws Exception {
        return ClusterObserver.observe(observer, JOIN, ANSWERS).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static long membersOf(ActorSystem<?> system) {
        long n = 0;
        for (var member : Cluster.get(system).state().getMembers()) {
            n++;
        }
        return n;
    }
}
