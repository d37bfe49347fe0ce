package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.cluster.ClusterStatus;
import dev.weir.cluster.FlowResolver;
import dev.weir.cluster.Worker;
import dev.weir.cluster.WorkerStatus;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.NodeSettings;
import dev.weir.engine.runtime.ChunkWorker;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;

/**
 * {@code weir cluster}: joins a running cluster (a coordinator and a worker node in this JVM over loopback
 * TCP) as an observer, prints its members, and leaves; and fails within its bound when no seed answers.
 */
class ClusterCommandTest {

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    private static NodeSettings settings(String role, List<String> seeds, int slots) {
        return NodeSettings.fromConfig(com.typesafe.config.ConfigFactory.parseMap(Map.of("weir.cluster.role", role,
                        "weir.cluster.port", 0, "weir.cluster.transport", "tcp", "weir.cluster.seed-nodes", seeds,
                        "weir.cluster.slots", slots, "weir.cluster.exit-jvm-when-down", false)),
                "ClusterCommandTest", Path.of(""), Map.of());
    }

    @Test
    void listsTheMembersWithRolesStatusAndTheWorkersSlotsThenLeaves() throws Exception {
        ClusterNode<Void> coordinator = ClusterNode.start(settings("coordinator", List.of(), 1), Behaviors.<Void>empty());
        ClusterNode<Void> workerNode = null;
        try (RootAllocator allocator = new RootAllocator();
             ChunkWorker chunks = new ChunkWorker(allocator, getClass().getClassLoader())) {
            coordinator.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            String seed = "127.0.0.1:" + coordinator.address().getPort().orElseThrow();
            workerNode = ClusterNode.start(settings("worker", List.of(seed), 3), Behaviors.<Void>empty());
            workerNode.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Worker.start(workerNode.system(), new Worker.Settings(chunks, FlowResolver.of(getClass(), List.of()),
                    (name, perUser, store) -> {
                        throw new IllegalArgumentException("no instances here");
                    }, 3));
            String worker = workerNode.address().getHost().orElseThrow() + ":" + workerNode.address().getPort()
                    .orElseThrow();

            Outcome json = weir("cluster", "--seed", seed, "--transport", "tcp", "--json");

            assertEquals(0, json.code(), json.out() + json.err());
            JsonNode root = new ObjectMapper().readTree(json.out());
            assertEquals(2, root.get("members").size(), json.out());
            JsonNode first = root.get("members").get(0);
            JsonNode second = root.get("members").get(1);
            JsonNode coordinatorJson = first.get("address").asText().equals(seed) ? first : second;
            JsonNode workerJson = coordinatorJson == first ? second : first;
            assertEquals(seed, coordinatorJson.get("address").asText(), json.out());
            assertEquals("[\"coordinator\"]", coordinatorJson.get("roles").toString());
            assertEquals("Up", coordinatorJson.get("status").asText());
            assertEquals(worker, workerJson.get("address").asText(), json.out());
            assertEquals("[\"worker\"]", workerJson.get("roles").toString());
            assertEquals("Up", workerJson.get("status").asText());
            assertEquals(3, workerJson.get("slots").asInt(), json.out());
            assertEquals(3, workerJson.get("free_slots").asInt(), json.out());
            assertEquals(0, workerJson.get("chunks").size(), json.out());

            Outcome text = weir("cluster", "--seed", seed, "--transport", "tcp");
            assertEquals(0, text.code(), text.out() + text.err());
            assertTrue(text.out().lines().anyMatch(l -> l.startsWith(worker) && l.matches(".*worker +Up +3 +3 +0$")),
                    text.out());
            assertTrue(text.out().lines().anyMatch(l -> l.startsWith(seed) && l.contains("coordinator")), text.out());
            // both observers left: the coordinator counts itself and the worker only
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (members(coordinator) != 2 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertEquals(2, members(coordinator), () -> "an observer is still a member: "
                    + Cluster.get(coordinator.system()).state().getMembers());
        } finally {
            if (workerNode != null) {
                workerNode.close();
            }
            coordinator.close();
        }
    }

    @Test
    void noSeedAnsweringFailsWithinTheTimeoutSayingWhatToCheck() throws Exception {
        int nobody;
        try (ServerSocket free = new ServerSocket(0)) {
            nobody = free.getLocalPort();
        }
        long start = System.nanoTime();

        Outcome outcome = weir("cluster", "--seed", "127.0.0.1:" + nobody, "--transport", "tcp", "--timeout", "3s");

        assertEquals(WeirCommand.RUN_FAILED, outcome.code(), outcome.out() + outcome.err());
        assertTrue(outcome.err().contains("no seed node let this node join within 3 s (seed nodes [127.0.0.1:"
                + nobody + "]"), outcome.err());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(25), "bounded by --timeout");
    }

    @Test
    void aTimeoutThatIsNoDurationIsAUsageError() {
        Outcome outcome = weir("cluster", "--seed", "127.0.0.1:25520", "--transport", "tcp", "--timeout", "soon");
        assertEquals(WeirCommand.USAGE, outcome.code(), outcome.err());
        assertTrue(outcome.err().contains("--timeout soon: not a duration"), outcome.err());
    }

    @Test
    void theTableListsEachChunkAWorkerHoldsUnderIt() {
        WorkerStatus busy = new WorkerStatus("pekko://weir@10.0.0.5:25521", 2, 0, true, List.of(
                new WorkerStatus.ChunkInFlight("20261206-1", "batched", "scored", "score", 3, 1,
                        WorkerStatus.Phase.COMPUTING, 2_100),
                new WorkerStatus.ChunkInFlight("20261206-1", "batched", "scored", "score", 5, 2,
                        WorkerStatus.Phase.APPENDING, 400)), List.of());
        ClusterStatus status = new ClusterStatus("pekko://weir@127.0.0.1:40000", List.of(
                new ClusterStatus.Member("pekko://weir@10.0.0.4:25520", List.of("coordinator"), "Up", true, null),
                new ClusterStatus.Member("pekko://weir@10.0.0.5:25521", List.of("worker"), "Leaving", true, busy),
                new ClusterStatus.Member("pekko://weir@10.0.0.6:25521", List.of("worker"), "Up", false, null)));
        NodeSettings settings = settings("observer", List.of("10.0.0.4:25520"), 1);

        assertEquals("""
                Cluster 'weir' seen from 10.0.0.4:25520: 3 members
                NODE                     ROLES        STATUS       SLOTS  FREE  CHUNKS IN FLIGHT
                10.0.0.4:25520           coordinator  Up               -     -  -
                10.0.0.5:25521           worker       Leaving          2     0  2 (leaving: takes no new chunks)
                    run 20261206-1  scored/score chunk 3 attempt 1  computing 2.1 s
                    run 20261206-1  scored/score chunk 5 attempt 2  appending 0.4 s
                10.0.0.6:25521           worker       Unreachable      -     -  no answer
                """, ClusterCommand.text(status, settings));
    }

    @Test
    void theTableListsEachStreamingCallAWorkerRunsUnderIt() {
        WorkerStatus busy = new WorkerStatus("pekko://weir@10.0.0.5:25521", 2, 1, false, List.of(
                new WorkerStatus.ChunkInFlight("20261206-1", "batched", "scored", "score", 3, 1,
                        WorkerStatus.Phase.COMPUTING, 2_100)), List.of(
                new WorkerStatus.CallInFlight("pekko://weir@10.0.0.4:25520/stream-1/42", 2, "streaming", "orders",
                        List.of("join", "round"), 17, 300)));
        ClusterStatus status = new ClusterStatus("pekko://weir@127.0.0.1:40000", List.of(
                new ClusterStatus.Member("pekko://weir@10.0.0.5:25521", List.of("worker"), "Up", true, busy)));
        NodeSettings settings = settings("observer", List.of("10.0.0.4:25520"), 1);

        assertEquals("""
                Cluster 'weir' seen from 10.0.0.4:25520: 1 members
                NODE                     ROLES        STATUS       SLOTS  FREE  CHUNKS IN FLIGHT
                10.0.0.5:25521           worker       Up               2     1  1 + 1 streaming call
                    run 20261206-1  scored/score chunk 3 attempt 1  computing 2.1 s
                    call pekko://weir@10.0.0.4:25520/stream-1/42 attempt 2  streaming/orders join+round batch 17  running 0.3 s
                """, ClusterCommand.text(status, settings));
        var call = ClusterCommand.toJson(status, settings).get("members").get(0).get("calls").get(0);
        assertEquals("pekko://weir@10.0.0.4:25520/stream-1/42", call.get("call").asText());
        assertEquals("join", call.get("tasks").get(0).asText());
        assertEquals(17, call.get("batch").asLong());
    }

    private static long members(ClusterNode<?> node) {
        long n = 0;
        for (var member : Cluster.get(node.system()).state().getMembers()) {
            n++;
        }
        return n;
    }
}
