package dev.weir.benchmarks;

import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.store.TableStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A scoring task over a large table on PostgreSQL (the synthetic rows of {@link PgBulkLoadBenchmark}),
 * several ways: (a) a Weir task reading the whole table as one {@code ArrowTable}, (b) the same task
 * {@code Batched} by {@code hash(customer_id)} into 20 chunks, reading its input once and splitting it
 * among them ({@code batched}), or with one scan per chunk ({@code batched-scans}), or by ranges of the
 * primary key ({@code batched-range}), and (c) a Spring Batch partitioned step
 * ({@link SpringBatchScoring}) with 20 partitions; (b) and (c) both run 2 threads.
 *
 * <p>The input table is made once by a Weir flow (a lazy SQL task generating the rows in the server).
 * Each variant then runs in a JVM of its own ({@link BatchedVariant}, {@code -Xmx} from the variable
 * {@code WEIR_BENCH_XMX}, default 2g; the direct-memory limit is raised to 8g so that Arrow is not
 * capped by it), so that heap peaks do not mix; the variants rotate their order
 * from round to round. The wall time is the child's own clock around the run of the scoring stage (the
 * Spring job). Each output is checked: its row count and its sum of scores must match the rows
 * generated. Everything the benchmark creates is dropped at the end.
 *
 * <p>Usage: {@code benchmarks/run batched [rows [rounds]]} (default 20,000,000 rows, 1 round), with the
 * PG* variables naming the server.
 * {@code WEIR_BENCH_VARIANTS=batched,unbatched} runs only those variants; with
 * {@code WEIR_BENCH_BASE_CLASSPATH} (another build's benchmark jar and {@code lib/*}) it may also name
 * {@code batched@base} and {@code unbatched@base}, run by that build, alternating with this one's.
 */
public final class BatchedBenchmark {

    static final List<String> ALL_VARIANTS = List.of("unbatched", "batched", "batched-scans", "batched-range",
            "spring-batch");

    /**
     * Another build's class path (the variable {@code WEIR_BENCH_BASE_CLASSPATH}), or null: a variant named
     * {@code variant@base} runs in a JVM of that build, so that two builds are measured side by side.
     */
    static final String BASE_CLASSPATH = System.getenv("WEIR_BENCH_BASE_CLASSPATH");

    /** The variants run: all, or those the variable {@code WEIR_BENCH_VARIANTS} names (comma-separated). */
    static final List<String> VARIANTS = variants(System.getenv("WEIR_BENCH_VARIANTS"));

    private static List<String> variants(String chosen) {
        if (chosen == null || chosen.isBlank()) {
            return ALL_VARIANTS;
        }
        List<String> list = java.util.Arrays.stream(chosen.split(",")).map(String::trim).toList();
        for (String v : list) {
            String plain = BASE_CLASSPATH != null && v.endsWith("@base") ? v.substring(0, v.length() - 5) : v;
            if (!ALL_VARIANTS.contains(plain) || plain.equals("spring-batch") && !plain.equals(v)) {
                throw new IllegalArgumentException("WEIR_BENCH_VARIANTS names '" + v + "'; expected some of " + ALL_VARIANTS);
            }
        }
        return list;
    }

    public static void main(String[] args) throws Exception {
        long rows = args.length > 0 ? Long.parseLong(args[0].replace("_", "")) : 20_000_000L;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        String xmx = System.getenv().getOrDefault("WEIR_BENCH_XMX", "2g");
        Path dir = Files.createTempDirectory("weir-batched-bench");
        PgBenchServer server = new PgBenchServer(dir);
        String prefix = server.newPrefix("batched");
        Map<String, List<Measure>> measures = new HashMap<>();
        try {
            System.out.printf(Locale.ROOT, "batched: %,d rows, %d round(s), %d chunks/partitions, %d threads,"
                            + " child JVMs -Xmx%s; server %s%n", rows, rounds, BatchedVariant.CHUNKS,
                    BatchedVariant.THREADS, xmx, server.describe());
            load(server, dir, prefix, rows);
            double expectedSum = ScoreFlow.expectedSum(rows);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < VARIANTS.size(); i++) {
                    String variant = VARIANTS.get((i + round) % VARIANTS.size());
                    Measure m = runChild(variant, prefix, rows, dir, xmx);
                    verify(server, variant, outputTable(server, prefix, variant), rows, expectedSum);
                    measures.computeIfAbsent(variant, v -> new ArrayList<>()).add(m);
                    System.out.printf(Locale.ROOT, "  round %d %-13s %7.2f s (task %7.2f s) %,10.0f rows/s"
                                    + "  peak heap %,6d MiB (sampled %,6d, after GC %,6d)  Arrow peak %s  peak RSS %,6d MiB%n",
                            round + 1, variant, m.seconds, m.taskSeconds, rows / m.seconds, m.heapPeak >> 20,
                            m.heapSampled >> 20, m.heapAfterGc >> 20, m.arrowPeak < 0 ? "     -" : String.format(Locale.ROOT, "%,6d MiB",
                                    m.arrowPeak >> 20), m.rss >> 20);
                    if (m.chunksSeconds >= 0) {
                        System.out.printf(Locale.ROOT, "          %s: all chunks uploaded at %.2f s of the task, output"
                                + " sealed (keys, cache entry) in the remaining %.2f s%n", variant, m.chunksSeconds,
                                m.taskSeconds - m.chunksSeconds);
                    }
                }
            }
            summarize(rows, measures);
        } finally {
            server.dropPrefixes();
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Runs stage {@code raw}: the orders table, generated in the server. */
    private static void load(PgBenchServer server, Path dir, String prefix, long rows) {
        long start = System.nanoTime();
        try (Weir weir = Weir.start()) {
            Result result = weir.run(ScoreFlow.flow(rows, null), ScoreFlow.instance(server, dir, prefix),
                    RunOptions.defaults().only(ScoreFlow.RAW)).toCompletableFuture().orTimeout(60, TimeUnit.MINUTES).join();
            try (result) {
                if (!result.successful()) {
                    throw new IllegalStateException("loading the orders failed: " + result.summary(),
                            result.failure().orElse(null));
                }
            }
        }
        System.out.printf(Locale.ROOT, "  orders table made by a lazy SQL task, untimed: %.1f s%n", Rounds.seconds(start));
    }

    private static Measure runChild(String variant, String prefix, long rows, Path dir, String xmx) throws Exception {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Xmx" + xmx, "-XX:MaxDirectMemorySize=8g",
                "-cp", variant.endsWith("@base") ? BASE_CLASSPATH : System.getProperty("java.class.path"),
                BatchedVariant.class.getName(), variant.replace("@base", ""), prefix, Long.toString(rows), dir.toString());
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        process.getOutputStream().close();
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                } else {
                    System.out.println("    [" + variant + "] " + line);
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || result == null) {
            throw new IllegalStateException("the " + variant + " JVM exited with " + exit
                    + (result == null ? " without a RESULT line" : "") + "; its errors are above");
        }
        Measure m = Measure.parse(result);
        if (m.rows != rows) {
            throw new IllegalStateException(variant + " reports " + m.rows + " rows written, expected " + rows);
        }
        return m;
    }

    private static String outputTable(PgBenchServer server, String prefix, String variant) {
        variant = variant.replace("@base", "");
        if (variant.equals("spring-batch")) {
            return "\"" + prefix + "spring\".\"" + ScoreFlow.OUTPUT + "\"";
        }
        try (TableStore store = server.open(server.settings("bench", prefix))) {
            return "\"" + store.committedSchema(ScoreFlow.SCORED) + "\".\"" + ScoreFlow.OUTPUT + "\"";
        }
    }

    /** Fails unless {@code table} has {@code rows} rows whose scores sum to {@code expectedSum}. */
    private static void verify(PgBenchServer server, String variant, String table, long rows, double expectedSum)
            throws Exception {
        try (Connection c = server.connection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*), sum(score), count(DISTINCT id) FROM " + table)) {
            rs.next();
            long count = rs.getLong(1);
            double sum = rs.getDouble(2);
            long distinct = rs.getLong(3);
            if (count != rows || distinct != rows || Math.abs(sum - expectedSum) > 1e-9 * Math.abs(expectedSum)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s wrote a wrong %s: %,d rows (%,d distinct"
                        + " ids), sum of scores %.6f; expected %,d rows, sum %.6f", variant, table, count, distinct, sum,
                        rows, expectedSum));
            }
        }
    }

    private static void summarize(long rows, Map<String, List<Measure>> measures) {
        if (measures.containsKey("batched@base") && measures.containsKey("unbatched@base")) {
            System.out.println("  side by side, this build vs the base build (" + BASE_CLASSPATH.split(":")[0] + "):");
            for (String v : List.of("batched", "unbatched")) {
                if (measures.containsKey(v)) {
                    System.out.printf(Locale.ROOT, "    %-9s median %6.2f s vs %6.2f s (base)%n", v,
                            Measure.median(measures.get(v)).seconds, Measure.median(measures.get(v + "@base")).seconds);
                }
            }
            System.out.printf(Locale.ROOT, "    batched speed vs unbatched, base build: %.2fx median; per round",
                    Measure.median(measures.get("unbatched@base")).seconds / Measure.median(measures.get("batched@base")).seconds);
            for (int r = 0; r < measures.get("batched@base").size(); r++) {
                System.out.printf(Locale.ROOT, " %.2f", measures.get("unbatched@base").get(r).seconds
                        / measures.get("batched@base").get(r).seconds);
            }
            System.out.println();
        }
        if (!measures.keySet().containsAll(List.of("unbatched", "batched"))) {
            return; // the comparisons need both
        }
        Measure unbatched = Measure.median(measures.get("unbatched"));
        Measure batched = Measure.median(measures.get("batched"));
        System.out.println("  median per variant:");
        for (String v : VARIANTS) {
            Measure m = Measure.median(measures.get(v));
            if (v.endsWith("@base")) {
                continue;
            }
            System.out.printf(Locale.ROOT, "    %-13s %7.2f s %,10.0f rows/s  peak heap %,6d MiB (after GC %,6d)"
                            + "  Arrow peak %s  heap+Arrow %,6d MiB  peak RSS %,6d MiB%n", v, m.seconds, rows / m.seconds,
                    m.heapPeak >> 20, m.heapAfterGc >> 20, m.arrowPeak < 0 ? "     -" : String.format(Locale.ROOT, "%,6d MiB", m.arrowPeak >> 20),
                    (m.heapPeak + Math.max(0, m.arrowPeak)) >> 20, m.rss >> 20);
        }
        double heapRatio = (double) batched.heapPeak / unbatched.heapPeak;
        double memoryRatio = (double) (batched.heapPeak + batched.arrowPeak) / (unbatched.heapPeak + unbatched.arrowPeak);
        double vsUnbatched = unbatched.seconds / batched.seconds;
        System.out.printf(Locale.ROOT, "  batched/unbatched peak heap %.2f (goal <= 0.20: %s); heap+Arrow %.2f (%s)%n",
                heapRatio, heapRatio <= 0.2 ? "met" : "MISSED", memoryRatio, memoryRatio <= 0.2 ? "met" : "MISSED");
        System.out.printf(Locale.ROOT, "  batched speed vs unbatched %.2fx (goal >= 1.0x: %s)%n", vsUnbatched,
                vsUnbatched >= 1.0 ? "met" : "MISSED");
        System.out.print("  per round, batched speed vs unbatched:");
        for (int r = 0; r < measures.get("batched").size(); r++) {
            System.out.printf(Locale.ROOT, " %.2fx", measures.get("unbatched").get(r).seconds / measures.get("batched").get(r).seconds);
        }
        System.out.println();
        if (!measures.keySet().containsAll(ALL_VARIANTS)) {
            return;
        }
        Measure spring = Measure.median(measures.get("spring-batch"));
        double vsSpring = spring.seconds / batched.seconds;
        System.out.printf(Locale.ROOT, "  batched throughput vs Spring Batch %.2fx (goal >= 1.0x: %s)%n", vsSpring,
                vsSpring >= 1.0 ? "met" : "MISSED");
        Measure scans = Measure.median(measures.get("batched-scans"));
        System.out.printf(Locale.ROOT, "  batched with one scan per chunk (scanOnce(false), the path before): %.2fx unbatched's"
                + " speed, %.2fx Spring Batch's throughput; the single scan is %.2fx as fast%n",
                unbatched.seconds / scans.seconds, spring.seconds / scans.seconds, scans.seconds / batched.seconds);
        System.out.println("  per round, batched (one scan) vs unbatched and vs Spring Batch:");
        for (int r = 0; r < measures.get("batched").size(); r++) {
            System.out.printf(Locale.ROOT, "    round %d: %.2fx unbatched, %.2fx Spring Batch, %.2fx batched-scans%n", r + 1,
                    measures.get("unbatched").get(r).seconds / measures.get("batched").get(r).seconds,
                    measures.get("spring-batch").get(r).seconds / measures.get("batched").get(r).seconds,
                    measures.get("batched-scans").get(r).seconds / measures.get("batched").get(r).seconds);
        }
        Measure ranged = Measure.median(measures.get("batched-range"));
        System.out.printf(Locale.ROOT, "  batched by ranges of the primary key: %.2fx unbatched's speed, %.2fx Spring Batch's"
                        + " throughput, Arrow peak %.2f of unbatched's%n", unbatched.seconds / ranged.seconds,
                spring.seconds / ranged.seconds, (double) ranged.arrowPeak / unbatched.arrowPeak);
    }

    /** One child's report. */
    record Measure(double seconds, double taskSeconds, double chunksSeconds, long rows, long heapPeak, long heapSampled, long heapAfterGc,
                   long arrowPeak, long rss) {

        static Measure parse(String line) {
            Map<String, String> values = new HashMap<>();
            for (String pair : line.substring("RESULT ".length()).trim().split(" ")) {
                int eq = pair.indexOf('=');
                values.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
            return new Measure(Double.parseDouble(values.get("seconds")), Double.parseDouble(values.get("taskSeconds")),
                    Double.parseDouble(values.get("chunksSeconds")),
                    Long.parseLong(values.get("rows")), Long.parseLong(values.get("heapPeak")),
                    Long.parseLong(values.get("heapSampled")), Long.parseLong(values.get("heapAfterGc")),
                    Long.parseLong(values.get("arrowPeak")),
                    Long.parseLong(values.get("rss")));
        }

        /** The round of median wall time (its memory figures with it). */
        static Measure median(List<Measure> all) {
            List<Measure> sorted = new ArrayList<>(all);
            sorted.sort(java.util.Comparator.comparingDouble(Measure::seconds));
            return sorted.get(sorted.size() / 2);
        }
    }
}
