package dev.weir.benchmarks;

import dev.weir.cluster.ClusterPlacement;
import dev.weir.cluster.FlowResolver;
import dev.weir.cluster.Worker;
import dev.weir.cluster.node.ClusterNode;
import dev.weir.cluster.node.NodeSettings;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.TaskResult;
import dev.weir.engine.Weir;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.runtime.ChunkWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The batched benchmark's task on PostgreSQL, side by side: in the coordinator's own JVM (the engine's
 * local chunks) and on one worker node in a JVM of its own joined over loopback TCP (the cluster
 * placement). The rounds alternate local and cluster, the same flow, store and chunking
 * ({@code rangeOf("id", 20)}, 2 chunks computing, 2 uploading; the worker has 2 slots), the scoring task
 * forced to run; each run's output is checked (row count and the sum of the scores). Prints each round and
 * the medians.
 *
 * <p>Arguments: {@code [rows [rounds]]}, default 1,000,000 rows and 3 rounds. Needs the PG* variables.
 */
public final class ClusterBenchmark {

    static final int SLOTS = 2;

    private ClusterBenchmark() {
    }

    static Batched chunking() {
        return Batched.rangeOf("id", 20).computeParallelism(2).uploadParallelism(2);
    }

    static NodeSettings settings(String role, List<String> seeds) {
        return NodeSettings.fromConfig(com.typesafe.config.ConfigFactory.parseMap(Map.of(
                        "weir.cluster.role", role, "weir.cluster.port", 0, "weir.cluster.transport", "tcp",
                        "weir.cluster.seed-nodes", seeds, "weir.cluster.slots", SLOTS,
                        "weir.cluster.exit-jvm-when-down", false)),
                "cluster benchmark", Path.of(""), Map.of());
    }

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("weir-cluster-bench");
        PgBenchServer server = new PgBenchServer(dir);
        String prefix = server.newPrefix("cluster");
        InstanceConfig instance = ScoreFlow.instance(server, dir, prefix);
        Flow flow = ScoreFlow.flow(rows, chunking());
        ClusterNode<Void> coordinator = ClusterNode.start(settings("coordinator", List.of()), Behaviors.<Void>empty());
        Process worker = null;
        try (Weir weir = Weir.embedded(coordinator.system());
             ClusterPlacement placement = ClusterPlacement.start(coordinator.system(),
                     FlowResolver.of(ScoreFlow.class, List.of(flow)))) {
            coordinator.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            Result first = weir.run(flow, instance).toCompletableFuture().get(30, TimeUnit.MINUTES);
            check(first, rows, "the first run (making the orders)");
            first.close();
            String seed = "127.0.0.1:" + coordinator.address().getPort().orElseThrow();
            worker = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                    ClusterBenchmark.class.getName() + "$WorkerMain", seed, prefix, String.valueOf(rows), dir.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (placement.slots() < SLOTS) {
                if (System.nanoTime() > deadline || !worker.isAlive()) {
                    throw new IllegalStateException("the worker did not offer its slots; see " + dir.resolve("worker.log"));
                }
                Thread.sleep(100);
            }
            RunOptions forced = RunOptions.defaults().only(ScoreFlow.SCORED)
                    .cacheValidation(CacheValidation.NORMAL.withMode(CacheValidation.Mode.FORCE_CACHE_INVALID));
            double[] local = new double[rounds];
            double[] cluster = new double[rounds];
            for (int round = 0; round < rounds; round++) {
                local[round] = timed(weir, flow, instance, forced, rows, "local round " + (round + 1));
                cluster[round] = timed(weir, flow, instance, forced.chunkPlacement(placement), rows,
                        "cluster round " + (round + 1));
                System.out.printf(Locale.ROOT, "round %d: local %.2f s (%.0f rows/s), coordinator + 1 worker %.2f s"
                                + " (%.0f rows/s)%n", round + 1, local[round], rows / local[round], cluster[round],
                        rows / cluster[round]);
            }
            double l = Rounds.median(local);
            double c = Rounds.median(cluster);
            System.out.printf(Locale.ROOT, "%d rows, %d rounds, medians: local %.2f s (%.0f rows/s), coordinator +"
                            + " 1 worker %.2f s (%.0f rows/s): cluster/local throughput %.2f; chunks by node %s%n",
                    rows, rounds, l, rows / l, c, rows / c, l / c, placement.chunksByNode());
        } finally {
            if (worker != null) {
                worker.destroy();
                worker.waitFor(60, TimeUnit.SECONDS);
            }
            coordinator.close();
            server.dropPrefixes();
        }
    }

    private static double timed(Weir weir, Flow flow, InstanceConfig instance, RunOptions options, long rows,
                                String what) throws Exception {
        long start = System.nanoTime();
        try (Result result = weir.run(flow, instance, options).toCompletableFuture().get(30, TimeUnit.MINUTES)) {
            double seconds = (System.nanoTime() - start) / 1e9;
            check(result, rows, what);
            return seconds;
        }
    }

    /** The run succeeded and its output holds every row once, with the expected sum of scores. */
    private static void check(Result result, long rows, String what) throws Exception {
        if (!result.successful()) {
            throw new IllegalStateException(what + " failed: " + result.summary(), result.failure().orElse(null));
        }
        TaskResult score = result.task("score").orElseThrow();
        String table = result.get(new dev.weir.engine.Ref(ScoreFlow.SCORED, "score", ScoreFlow.OUTPUT), String.class);
        try (var c = new PgBenchServer(Path.of("")).connection(); var s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), count(DISTINCT id), sum(score) FROM " + table)) {
            rs.next();
            double expected = ScoreFlow.expectedSum(rows);
            if (rs.getLong(1) != rows || rs.getLong(2) != rows || Math.abs(rs.getDouble(3) - expected) > 1e-6 * expected
                    || score.rows() != rows) {
                throw new IllegalStateException(what + ": " + table + " has " + rs.getLong(1) + " rows (" + rs.getLong(2)
                        + " distinct), sum " + rs.getDouble(3) + "; expected " + rows + " rows, sum " + expected);
            }
        }
    }

    /** The worker node: {@code seed prefix rows dir}. Runs until its process is stopped. */
    public static final class WorkerMain {
        public static void main(String[] args) throws Exception {
            String seed = args[0];
            String prefix = args[1];
            long rows = Long.parseLong(args[2]);
            Path dir = Path.of(args[3]);
            InstanceConfig instance = ScoreFlow.instance(new PgBenchServer(dir), dir.resolve("worker"), prefix);
            Flow flow = ScoreFlow.flow(rows, chunking());
            ClusterNode<Void> node = ClusterNode.start(settings("worker", List.of(seed)), Behaviors.<Void>empty());
            try (RootAllocator allocator = new RootAllocator();
                 ChunkWorker chunks = new ChunkWorker(allocator, WorkerMain.class.getClassLoader())) {
                Worker.start(node.system(), new Worker.Settings(chunks, FlowResolver.of(ScoreFlow.class, List.of(flow)),
                        (name, perUser, store) -> instance, SLOTS));
                System.out.println("worker " + node.address() + " up");
                node.terminated().toCompletableFuture().join();
            }
        }
    }
}
