package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.FailureDetection;
import dev.weir.cluster.node.NodeProcess;
import dev.weir.cluster.node.NodeRole;
import dev.weir.cluster.node.TestCertificates;
import dev.weir.cluster.node.TestNodes;
import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker JVM killed with {@code kill -9} in the middle of a batched task on PostgreSQL, while it holds chunks
 * it cannot finish (they wait for the kill): the coordinator (this JVM) sees it downed, sends its unfinished
 * chunks again with the next attempt to the worker JVM that is left,
 * and the run ends with exactly the rows of a single-node run, each once (the append ledger refuses a second
 * append of a chunk that committed). TLS between the nodes, the Split Brain Resolver as shipped, the failure
 * detector's acceptable pause at 5 s for a loaded machine (see {@code NodeLifecycleTest}).
 */
class WorkerJvmLossTest {

    private static final long ORDERS = 20_000;
    /** 5 s for a loaded machine, or the shipped 1.5 s with {@code -Dweir.test.cluster.acceptable-heartbeat-pause=1.5s}. */
    private static final Duration PAUSE = com.typesafe.config.ConfigFactory.parseString("pause = \""
            + System.getProperty("weir.test.cluster.acceptable-heartbeat-pause", "5s") + "\"").getDuration("pause");
    private static final java.util.regex.Pattern UP = java.util.regex.Pattern.compile("WEIR-WORKER-UP (\\S+)");
    /** Detection (pause, stable-after, gossip: about 10 s with a 5 s pause) plus the chunks run again. */
    private static final Duration RUN_BOUND = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void aWorkerJvmKilledMidTaskLosesNoRowAndAddsNone() throws Exception {
        TestPostgres.Server server = TestPostgres.require();
        FailureDetection shipped = FailureDetection.tuned();
        ClusterNode<Void> coordinator = TestNodes.startUp(TestNodes.settings(NodeRole.COORDINATOR, List.of())
                .withFailureDetection(new FailureDetection(shipped.heartbeatInterval(), PAUSE, shipped.gossipInterval(),
                        shipped.stableAfter())), Behaviors.<Void>empty(), Duration.ofSeconds(60));
        ActorTestKit testKit = ActorTestKit.create(coordinator.system());
        Flow flow = ScoringFlow.create(ORDERS);
        FlowResolver flows = FlowResolver.of(ScoringFlow.class, List.of(flow));
        NodeProcess survivor = null;
        NodeProcess victim = null;
        try (FlowTestKit kit = FlowTestKit.create(testKit, dir).timeout(RUN_BOUND);
             ClusterPlacement placement = ClusterPlacement.start(coordinator.system(), flows)) {
            InstanceConfig instance = kit.postgresInstance("mini");
            String prefix = instance.tableStore().args().getString("schema_prefix");
            // One after another: two JVMs starting at once on a busy machine starve the running node.
            survivor = startWorker("survivor", coordinator, prefix, server, "pass");
            String survivorAddress = survivor.awaitLine(UP, Duration.ofSeconds(90)).group(1);
            victim = startWorker("victim", coordinator, prefix, server, "hold");
            victim.awaitLine(UP, Duration.ofSeconds(90));
            ClusterRuns.awaitSlots(placement, 4, Duration.ofSeconds(60));

            long start = System.nanoTime();
            CompletableFuture<Result> run = kit.weir().run(flow, instance,
                    RunOptions.defaults().chunkPlacement(placement)).toCompletableFuture();
            // mid-task: the victim holds a chunk it cannot finish, and the survivor has run one
            victim.awaitLine(java.util.regex.Pattern.compile("WEIR-CHUNK-HELD"), Duration.ofSeconds(60));
            ClusterRuns.awaitChunks(placement, 1, Duration.ofSeconds(60));
            Map<String, Integer> before = placement.chunksByNode();
            victim.kill();
            long killedAt = System.nanoTime();
            // noticed: the worker's slots left the placement (the Receptionist lists no unreachable node's worker);
            // its chunks are given up later, when the Split Brain Resolver has downed it (Terminated)
            long detectedAt = 0;
            while (detectedAt == 0 && !run.isDone() && System.nanoTime() - killedAt < RUN_BOUND.toNanos()) {
                if (placement.slots() <= 2) {
                    detectedAt = System.nanoTime();
                } else {
                    Thread.sleep(10);
                }
            }
            Result onCluster = run.get(RUN_BOUND.toSeconds(), TimeUnit.SECONDS);
            long endedAt = System.nanoTime();
            System.out.printf("kill -9 of a worker JVM mid-task (acceptable-heartbeat-pause %d ms): its slots left the"
                            + " placement %s ms after the kill, the run ended %d ms after the kill (%d ms after that;"
                            + " %d ms in all); chunks by node at the kill %s, at the end %s%n",
                    PAUSE.toMillis(), detectedAt == 0 ? "?" : Long.toString((detectedAt - killedAt) / 1_000_000),
                    (endedAt - killedAt) / 1_000_000, detectedAt == 0 ? -1 : (endedAt - detectedAt) / 1_000_000,
                    (endedAt - start) / 1_000_000, before, placement.chunksByNode());
            assertTrue(onCluster.successful(), () -> "the cluster run failed: " + onCluster);
            assertEquals(Map.of(survivorAddress, 8), placement.chunksByNode(),
                    "the victim's chunks ran again on the survivor");
            ClusterRuns.Summary summary = ClusterRuns.summary(onCluster);
            assertEquals(ORDERS, summary.rows(), "every row");
            assertEquals(ORDERS, summary.distinct(), "each once");
            Result local = kit.run(ScoringFlow.create(ORDERS), kit.postgresInstance("local")).result();
            assertEquals(ClusterRuns.summary(local), summary, "the rows of a single-node run");
            onCluster.close();
            local.close();
        } finally {
            for (NodeProcess worker : new NodeProcess[] {victim, survivor}) {
                if (worker != null) {
                    worker.close();
                }
            }
            coordinator.close();
        }
    }

    /** A worker JVM whose chunks {@code pass} or {@code hold} (see {@link WorkerJvmMain}). */
    private NodeProcess startWorker(String name, ClusterNode<?> coordinator, String prefix,
                                    TestPostgres.Server server, String chunks) throws Exception {
        Path config = dir.resolve(name + ".conf");
        TestCertificates certs = TestCertificates.shared();
        Files.writeString(config, "weir.cluster {\n"
                + "  role = worker\n  port = 0\n  slots = 2\n  exit-jvm-when-down = on\n"
                + "  failure-detection.acceptable-heartbeat-pause = " + PAUSE.toMillis() + " ms\n"
                + "  seed-nodes = [\"" + TestNodes.seedOf(coordinator) + "\"]\n"
                + "  tls { key-store = \"" + certs.nodeKeyStore() + "\", trust-store = \"" + certs.trustStore()
                + "\" }\n}\n");
        Map<String, String> env = new HashMap<>(server.env());
        env.put("WEIR_CLUSTER_KEY_STORE_PASSWORD", TestCertificates.PASSWORD);
        env.put("WEIR_CLUSTER_TRUST_STORE_PASSWORD", TestCertificates.PASSWORD);
        Path log = Path.of("target", "node-logs", name + "-" + System.currentTimeMillis() + ".log").toAbsolutePath();
        return NodeProcess.start(name, log, env, WorkerJvmMain.class.getName(), config.toString(), prefix,
                dir.resolve(name).toString(), Long.toString(ORDERS), chunks);
    }

}
