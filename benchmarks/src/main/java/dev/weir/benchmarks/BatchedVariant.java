package dev.weir.benchmarks;

import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import dev.weir.engine.Weir;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One variant of the batched benchmark in a JVM of its own, started by {@link BatchedBenchmark}: runs
 * the scoring once and prints one line {@code RESULT key=value ...} with its wall time, rows and
 * memory peaks. The output table is left for the parent to verify.
 *
 * <p>Arguments: {@code variant schema-prefix rows work-dir} with variant {@code unbatched},
 * {@code batched} (chunks by a hash of {@code customer_id}, the input read once and split among them),
 * {@code batched-scans} (the same chunks, each reading its rows with its predicate: one scan of the input
 * per chunk), {@code batched-range} (chunks by ranges of the
 * primary key {@code id}) or {@code spring-batch}; a fifth argument {@code duckdb} runs a Weir variant on
 * the DuckDB database of {@link ScoreFlow#duckDbInstance} instead of PostgreSQL. Run with
 * {@code -XX:NativeMemoryTracking=summary}, it also prints the JVM's native memory by category at the
 * moment of its largest resident set ({@link ResidentPeak}).
 */
public final class BatchedVariant {

    static final int CHUNKS = 20;
    static final int THREADS = 2;

    /** The instance the Weir variants run on; null: the PostgreSQL server's. */
    private static InstanceConfig store;

    private BatchedVariant() {
    }

    public static void main(String[] args) throws Exception {
        String variant = args[0];
        String prefix = args[1];
        long rows = Long.parseLong(args[2]);
        Path dir = Path.of(args[3]);
        PgBenchServer server = new PgBenchServer(dir);
        boolean duckdb = args.length > 4 && args[4].equals("duckdb");
        if (duckdb) {
            store = ScoreFlow.duckDbInstance(dir, prefix);
        }
        switch (variant) {
            case "unbatched" -> weir(server, dir, prefix, rows, null);
            case "batched" -> weir(server, dir, prefix, rows,
                    Batched.hashOf("customer_id", CHUNKS).computeParallelism(THREADS).uploadParallelism(THREADS));
            case "batched-scans" -> weir(server, dir, prefix, rows, Batched.hashOf("customer_id", CHUNKS)
                    .computeParallelism(THREADS).uploadParallelism(THREADS).scanOnce(false));
            case "batched-range" -> weir(server, dir, prefix, rows,
                    Batched.rangeOf("id", CHUNKS).computeParallelism(THREADS).uploadParallelism(THREADS));
            case "spring-batch" -> springBatch(server, prefix, rows);
            default -> throw new IllegalArgumentException("unknown variant '" + variant
                    + "'; expected unbatched, batched, batched-scans, batched-range or spring-batch");
        }
    }

    /** Runs only stage {@code scored} of {@link ScoreFlow}, its task forced to run. */
    private static void weir(PgBenchServer server, Path dir, String prefix, long rows, Batched batched)
            throws Exception {
        try (Weir weir = Weir.start()) {
            // when the last chunk was uploaded, in seconds since the task started: the rest is assembly
            AtomicLong chunksDone = new AtomicLong(Double.doubleToLongBits(-1));
            ActorRef<RunEvent> listener = weir.system().systemActorOf(Behaviors.receive(RunEvent.class)
                    .onMessage(RunEvent.ChunkFinished.class, e -> {
                        chunksDone.set(Double.doubleToLongBits(e.seconds()));
                        return Behaviors.same();
                    })
                    .onAnyMessage(e -> Behaviors.same()).build(), "benchmark-listener", Props.empty());
            RunOptions options = RunOptions.defaults().only(ScoreFlow.SCORED).listener(listener)
                    .cacheValidation(CacheValidation.NORMAL.withMode(CacheValidation.Mode.FORCE_CACHE_INVALID));
            Result result;
            double seconds;
            long heapPeak;
            long heapSampled;
            long heapAfterGc;
            InstanceConfig instance = store != null ? store : ScoreFlow.instance(server, dir, prefix);
            String taskBudget = System.getenv("WEIR_BENCH_TASK_BUDGET");
            if (taskBudget != null && !taskBudget.isBlank()) {
                long bytes = com.typesafe.config.ConfigFactory.parseString("b = " + taskBudget).getBytes("b");
                instance = instance.withMemory(new InstanceConfig.Memory(instance.memory().run(), bytes, Long.MAX_VALUE));
            }
            try (MemoryPeaks peaks = MemoryPeaks.start(); ResidentPeak resident = ResidentPeak.start()) {
                long start = System.nanoTime();
                result = weir.run(ScoreFlow.flow(rows, batched), instance, options)
                        .toCompletableFuture().orTimeout(60, TimeUnit.MINUTES).join();
                seconds = Rounds.seconds(start);
                heapPeak = peaks.poolPeakSum();
                heapSampled = peaks.sampledPeak();
                heapAfterGc = peaks.afterGcPeak();
                resident.print();
            }
            try (result) {
                TaskResult task = result.tasks().stream().filter(t -> t.task().equals("score")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("the run has no task 'score': " + result.summary()));
                if (!result.successful() || task.state() != TaskState.COMPLETED) {
                    throw new IllegalStateException("the scoring run failed: " + result.summary(),
                            result.failure().orElse(null));
                }
                report(seconds, task.seconds(), Double.longBitsToDouble(chunksDone.get()), task.rows(), heapPeak,
                        heapSampled, heapAfterGc, weir.allocator().getPeakMemoryAllocation());
            }
        }
    }

    private static void springBatch(PgBenchServer server, String prefix, long rows) throws Exception {
        String source = "\"" + prefix + ScoreFlow.RAW + "\".\"orders\"";
        String target = "\"" + prefix + "spring\".\"" + ScoreFlow.OUTPUT + "\"";
        try (var c = server.connection(); var s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS \"" + prefix + "spring\"");
            s.execute("DROP TABLE IF EXISTS " + target);
            s.execute("CREATE TABLE " + target + " " + ScoreFlow.OUTPUT_DDL);
        }
        SpringBatchScoring.Settings settings = new SpringBatchScoring.Settings(server.jdbcUrl(), server.credentials(),
                source, target, CHUNKS, THREADS);
        double[] seconds = new double[1];
        long written;
        long heapPeak;
        long heapSampled;
        long heapAfterGc;
        try (MemoryPeaks peaks = MemoryPeaks.start()) {
            written = SpringBatchScoring.run(settings, t -> seconds[0] = t);
            heapPeak = peaks.poolPeakSum();
            heapSampled = peaks.sampledPeak();
            heapAfterGc = peaks.afterGcPeak();
        }
        report(seconds[0], seconds[0], -1, written, heapPeak, heapSampled, heapAfterGc, -1);
    }

    private static void report(double seconds, double taskSeconds, double chunksSeconds, long rows, long heapPeak,
                               long heapSampled, long heapAfterGc, long arrowPeak) {
        System.out.printf(Locale.ROOT, "RESULT seconds=%.3f taskSeconds=%.3f chunksSeconds=%.3f rows=%d heapPeak=%d"
                        + " heapSampled=%d heapAfterGc=%d arrowPeak=%d rss=%d xmx=%d%n", seconds, taskSeconds, chunksSeconds,
                rows, heapPeak, heapSampled,
                heapAfterGc, arrowPeak,
                MemoryPeaks.peakResidentBytes(), Runtime.getRuntime().maxMemory());
    }
}
