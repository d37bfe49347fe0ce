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
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.placement.ChunkCall;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkPlacement;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
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
 * The batched benchmark's task on PostgreSQL, side by side in one run: in the coordinator's own JVM (the
 * engine's local chunks), on one worker node, and on two worker nodes, each worker a JVM of its own joined
 * over loopback TCP (the cluster placement). All on one machine: two workers share its cores with the
 * coordinator and PostgreSQL, so this measures the cluster's overhead, not scale-out. Every round runs the
 * three, in an order that rotates from round to round, the same flow, store and chunking
 * ({@code rangeOf("id", 20)}, 2 chunks computing, 2 uploading; each worker has 2 slots), the scoring task
 * forced to run; each run's output is checked (row count and the sum of the scores). The second worker
 * stops its chunk runner between its rounds (its JVM stays warm) and starts it again for them. Prints each
 * round (after one untimed run on both workers), the medians, and per chunk on the workers: the time to read and compute it, the time to append it,
 * and the scoring code's own time on a chunk of the same size in this JVM, for the model in BENCHMARKS.md.
 *
 * <p>Arguments: {@code [rows [rounds]]}, default 1,000,000 rows and 3 rounds. Needs the PG* variables.
 */
public final class ClusterBenchmark {

    static final int SLOTS = 2;
    static final int CHUNKS = 20;

    private ClusterBenchmark() {
    }

    static Batched chunking() {
        return Batched.rangeOf("id", CHUNKS).computeParallelism(2).uploadParallelism(2);
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
        Process first = null;
        Process second = null;
        try (Weir weir = Weir.embedded(coordinator.system());
             ClusterPlacement placement = ClusterPlacement.start(coordinator.system(),
                     FlowResolver.of(ScoreFlow.class, List.of(flow)))) {
            coordinator.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            Result made = weir.run(flow, instance).toCompletableFuture().get(30, TimeUnit.MINUTES);
            check(made, rows, "the first run (making the orders)");
            made.close();
            String seed = "127.0.0.1:" + coordinator.address().getPort().orElseThrow();
            // one after the other: two JVMs starting at once on a busy machine starve each other
            first = startWorker(seed, prefix, rows, dir, "worker-1");
            awaitSlots(placement, SLOTS, first, dir.resolve("worker-1.log"));
            second = startWorker(seed, prefix, rows, dir, "worker-2");
            awaitSlots(placement, 2 * SLOTS, second, dir.resolve("worker-2.log"));
            Writer secondControl = new OutputStreamWriter(second.getOutputStream(), StandardCharsets.UTF_8);
            RunOptions forced = RunOptions.defaults().only(ScoreFlow.SCORED)
                    .cacheValidation(CacheValidation.NORMAL.withMode(CacheValidation.Mode.FORCE_CACHE_INVALID));
            TimedPlacement timed = new TimedPlacement(placement);
            // untimed: both workers' JVMs warm (class loading, their connection pools, the JIT) before round 1
            timed(weir, flow, instance, forced.chunkPlacement(placement), rows, "the warm-up on both workers");
            String[] names = {"local", "coordinator + 1 worker", "coordinator + 2 workers"};
            double[][] seconds = new double[3][rounds];
            String load = uptime();
            for (int round = 0; round < rounds; round++) {
                StringBuilder line = new StringBuilder("round " + (round + 1) + ":");
                for (int k = 0; k < 3; k++) {
                    int side = (round + k) % 3;
                    RunOptions options = forced;
                    if (side > 0) {
                        control(secondControl, side == 2 ? "resume" : "pause");
                        awaitSlots(placement, side * SLOTS, second, dir.resolve("worker-2.log"));
                        timed.recordAs(names[side]);
                        options = forced.chunkPlacement(timed);
                    }
                    seconds[side][round] = timed(weir, flow, instance, options, rows, names[side] + " round "
                            + (round + 1));
                    line.append(String.format(Locale.ROOT, "  %s %.2f s (%.0f rows/s)", names[side],
                            seconds[side][round], rows / seconds[side][round]));
                }
                System.out.println(line);
                load += " | " + uptime();
            }
            double local = Rounds.median(seconds[0]);
            System.out.printf(Locale.ROOT, "%d rows, %d rounds, %d chunks of %d rows, medians:%n", rows, rounds, CHUNKS,
                    rows / CHUNKS);
            for (int side = 0; side < 3; side++) {
                double m = Rounds.median(seconds[side]);
                System.out.printf(Locale.ROOT, "  %-24s %.2f s (%.0f rows/s), throughput vs local %.2f%n", names[side],
                        m, rows / m, local / m);
            }
            System.out.println("chunks by node (all cluster rounds): " + placement.chunksByNode());
            timed.print(rows / CHUNKS);
            System.out.printf(Locale.ROOT, "scoring code alone, in this JVM, on %d rows: median %.1f ms%n", rows / CHUNKS,
                    scoringMillis(rows / CHUNKS));
            System.out.println("load (uptime) before and after each round: " + load);
        } finally {
            for (Process worker : new Process[] {first, second}) {
                if (worker != null) {
                    worker.destroy();
                    worker.waitFor(60, TimeUnit.SECONDS);
                }
            }
            coordinator.close();
            server.dropPrefixes();
        }
    }

    private static Process startWorker(String seed, String prefix, long rows, Path dir, String name) throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                ClusterBenchmark.class.getName() + "$WorkerMain", seed, prefix, String.valueOf(rows),
                dir.toString()).redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    private static void awaitSlots(ClusterPlacement placement, int slots, Process worker, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (placement.slots() != slots) {
            if (System.nanoTime() > deadline || !worker.isAlive()) {
                throw new IllegalStateException("the workers offer " + placement.slots() + " slots, not " + slots
                        + "; see " + log);
            }
            Thread.sleep(50);
        }
    }

    private static void control(Writer worker, String command) throws java.io.IOException {
        worker.write(command + "\n");
        worker.flush();
    }

    private static String uptime() {
        try {
            String text = Files.readString(Path.of("/proc/loadavg")).strip();
            return String.join(" ", java.util.Arrays.copyOf(text.split(" "), 3));
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** The median time of {@link ScoreFlow#score} on {@code rows} synthetic rows, warm, in this JVM. */
    private static double scoringMillis(long rows) {
        double[] millis = new double[7];
        try (RootAllocator allocator = new RootAllocator();
             ArrowTable input = SyntheticRows.table(allocator, 0, rows, 65_536)) {
            for (int i = -3; i < millis.length; i++) {
                long start = System.nanoTime();
                try (ArrowTable scored = ScoreFlow.score(input, allocator)) {
                    if (i >= 0) {
                        millis[i] = (System.nanoTime() - start) / 1e6;
                    }
                }
            }
        }
        return Rounds.median(millis);
    }

    /**
     * The cluster placement, timing each chunk as its worker reports it: read and compute (the worker's
     * {@link ChunkComputed#seconds}) and append ({@link ChunkUploaded#seconds}), by configuration.
     */
    static final class TimedPlacement implements ChunkPlacement {
        private final ClusterPlacement placement;
        private final Map<String, List<double[]>> chunks = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile String configuration = "";

        TimedPlacement(ClusterPlacement placement) {
            this.placement = placement;
        }

        void recordAs(String name) {
            configuration = name;
        }

        @Override
        public void admit(String flow, String instance, String storeKind) {
            placement.admit(flow, instance, storeKind);
        }

        @Override
        public int capacity() {
            return placement.capacity();
        }

        @Override
        public ChunkCall start(ChunkWork work, ChunkCallback callback) {
            List<double[]> times = chunks.computeIfAbsent(configuration,
                    k -> java.util.Collections.synchronizedList(new java.util.ArrayList<>()));
            double[] computedSeconds = {0};
            return placement.start(work, new ChunkCallback() {
                @Override
                public void computed(ChunkComputed computed) {
                    computedSeconds[0] = computed.seconds();
                    callback.computed(computed);
                }

                @Override
                public void uploaded(ChunkUploaded uploaded) {
                    times.add(new double[] {computedSeconds[0], uploaded.seconds()});
                    callback.uploaded(uploaded);
                }

                @Override
                public void failed(ChunkError error, boolean duringUpload) {
                    callback.failed(error, duringUpload);
                }
            });
        }

        /** Per configuration: median read + compute and append per chunk, and rows/s per slot they give. */
        void print(long rowsPerChunk) {
            chunks.forEach((name, times) -> {
                double[] compute = times.stream().mapToDouble(t -> t[0]).toArray();
                double[] append = times.stream().mapToDouble(t -> t[1]).toArray();
                double c = Rounds.median(compute);
                double a = Rounds.median(append);
                System.out.printf(Locale.ROOT, "per chunk on the workers, %s (%d chunks of %d rows): read + compute"
                                + " median %.0f ms, append median %.0f ms; one slot: %.0f rows/s%n", name, times.size(),
                        rowsPerChunk, c * 1000, a * 1000, rowsPerChunk / (c + a));
            });
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

    /**
     * The worker node: {@code seed prefix rows dir}. Runs until its process is stopped; a line {@code pause} on
     * its standard input stops its chunk runner (it leaves the Receptionist, its JVM stays warm), {@code resume}
     * starts a new one.
     */
    public static final class WorkerMain {
        public static void main(String[] args) throws Exception {
            String seed = args[0];
            String prefix = args[1];
            long rows = Long.parseLong(args[2]);
            Path dir = Path.of(args[3]);
            InstanceConfig instance = ScoreFlow.instance(new PgBenchServer(dir), dir.resolve("worker"), prefix);
            Flow flow = ScoreFlow.flow(rows, chunking());
            try (RootAllocator allocator = new RootAllocator();
                 ChunkWorker chunks = new ChunkWorker(allocator, WorkerMain.class.getClassLoader())) {
                Worker.Settings settings = new Worker.Settings(chunks, FlowResolver.of(ScoreFlow.class, List.of(flow)),
                        (name, perUser, store) -> instance, SLOTS);
                ClusterNode<String> node = ClusterNode.start(settings("worker", List.of(seed)),
                        Behaviors.<String>setup(ctx -> {
                            java.util.concurrent.atomic.AtomicReference<org.apache.pekko.actor.typed.ActorRef<Worker.Command>>
                                    current = new java.util.concurrent.atomic.AtomicReference<>(
                                    ctx.spawn(Worker.create(settings), "worker-1"));
                            int[] started = {1};
                            return Behaviors.receiveMessage(command -> {
                                if (command.equals("pause") && current.get() != null) {
                                    ctx.stop(current.getAndSet(null));
                                } else if (command.equals("resume") && current.get() == null) {
                                    current.set(ctx.spawn(Worker.create(settings), "worker-" + ++started[0]));
                                }
                                return Behaviors.same();
                            });
                        }));
                System.out.println("worker " + node.address() + " up");
                Thread control = new Thread(() -> {
                    try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                            StandardCharsets.UTF_8))) {
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            node.system().tell(line.strip());
                        }
                    } catch (java.io.IOException e) {
                        System.out.println("control input closed: " + e);
                    }
                }, "worker-control");
                control.setDaemon(true);
                control.start();
                node.terminated().toCompletableFuture().join();
            }
        }
    }
}
