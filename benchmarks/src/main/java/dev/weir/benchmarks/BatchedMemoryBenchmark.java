package dev.weir.benchmarks;

import dev.weir.engine.Result;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whether a batched task's memory grows with its input: the {@code batched} variant of
 * {@link BatchedBenchmark} (20 chunks by a hash of {@code customer_id}, 2 computing and 2 uploading) at
 * several input sizes, on PostgreSQL and on DuckDB, each run in a JVM of its own under a small heap and
 * direct-memory limit ({@code WEIR_BENCH_XMX}, {@code WEIR_BENCH_DIRECT}, both 256m by default) with
 * native memory tracking on ({@code WEIR_BENCH_NMT=off} turns it off; {@code WEIR_BENCH_JAVA_OPTS} adds
 * options; {@code WEIR_BENCH_TASK_BUDGET}, e.g. {@code 128MiB}, sets the task's {@code memory.task};
 * {@code WEIR_BENCH_DUCKDB_MEMORY_LIMIT} DuckDB's {@code memory_limit}). Reports each run's peak resident set ({@code VmHWM}), its Arrow peak, NMT's committed memory
 * by category near the peak, and per store the ratio of the largest input's peak to the smallest's.
 *
 * <p>Usage: {@code benchmarks/run batched-memory [rows,rows,... [postgres,duckdb]]} (default
 * 4,000,000 and 16,000,000 rows on both stores), with the PG* variables naming the server.
 */
public final class BatchedMemoryBenchmark {

    public static void main(String[] args) throws Exception {
        List<Long> sizes = Arrays.stream((args.length > 0 ? args[0] : "4000000,16000000").split(","))
                .map(s -> Long.parseLong(s.replace("_", "").trim())).toList();
        List<String> stores = List.of((args.length > 1 ? args[1] : "postgres,duckdb").split(","));
        Map<String, String> env = System.getenv();
        List<String> jvm = new ArrayList<>(List.of("-Xmx" + env.getOrDefault("WEIR_BENCH_XMX", "256m"),
                "-XX:MaxDirectMemorySize=" + env.getOrDefault("WEIR_BENCH_DIRECT", "256m")));
        if (!"off".equals(env.get("WEIR_BENCH_NMT"))) {
            jvm.add("-XX:NativeMemoryTracking=summary");
        }
        if (env.get("WEIR_BENCH_JAVA_OPTS") != null && !env.get("WEIR_BENCH_JAVA_OPTS").isBlank()) {
            jvm.addAll(List.of(env.get("WEIR_BENCH_JAVA_OPTS").trim().split("\\s+")));
        }
        System.out.printf(Locale.ROOT, "batched-memory: %s rows on %s, %d chunks, %d+%d threads, child JVMs %s%s%n",
                sizes, stores, BatchedVariant.CHUNKS, BatchedVariant.THREADS, BatchedVariant.THREADS,
                String.join(" ", jvm), env.entrySet().stream().filter(e -> e.getKey().startsWith("MALLOC_")
                        || e.getKey().equals("WEIR_BENCH_TASK_BUDGET") || e.getKey().equals("WEIR_BENCH_DUCKDB_MEMORY_LIMIT")).map(e -> ", " + e.getKey() + "=" + e.getValue())
                        .sorted().reduce("", String::concat));
        Map<String, Map<Long, Long>> rss = new LinkedHashMap<>();
        for (String store : stores) {
            for (long rows : sizes) {
                Path dir = Files.createTempDirectory("weir-batched-memory");
                PgBenchServer server = new PgBenchServer(dir);
                String prefix = server.newPrefix("mem");
                try {
                    InstanceConfig instance = store.equals("duckdb") ? ScoreFlow.duckDbInstance(dir, prefix)
                            : ScoreFlow.instance(server, dir, prefix);
                    load(instance, rows);
                    BatchedBenchmark.Measure m = runChild(store, prefix, rows, dir, jvm);
                    rss.computeIfAbsent(store, s -> new LinkedHashMap<>()).put(rows, m.rss());
                    System.out.printf(Locale.ROOT, "  %-8s %,11d rows %7.2f s  Arrow peak %,5d MiB  peak heap %,5d MiB"
                                    + "  peak RSS %,5d MiB%n", store, rows, m.seconds(), m.arrowPeak() >> 20,
                            m.heapPeak() >> 20, m.rss() >> 20);
                } finally {
                    if (store.equals("postgres")) {
                        server.dropPrefixes();
                    }
                    try (var paths = Files.walk(dir)) {
                        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(p);
                        }
                    }
                }
            }
        }
        long smallest = sizes.stream().mapToLong(Long::longValue).min().orElseThrow();
        long largest = sizes.stream().mapToLong(Long::longValue).max().orElseThrow();
        for (var e : rss.entrySet()) {
            if (smallest != largest) {
                double ratio = (double) e.getValue().get(largest) / e.getValue().get(smallest);
                System.out.printf(Locale.ROOT, "  %s: peak RSS at %,d rows / at %,d rows = %.2f (goal <= 1.25: %s)%n",
                        e.getKey(), largest, smallest, ratio, ratio <= 1.25 ? "met" : "MISSED");
            }
        }
    }

    /** Makes the orders table (stage {@code raw}) of {@code instance}; untimed. */
    private static void load(InstanceConfig instance, long rows) {
        try (Weir weir = Weir.start()) {
            Result result = weir.run(ScoreFlow.flow(rows, null), instance, RunOptions.defaults().only(ScoreFlow.RAW))
                    .toCompletableFuture().orTimeout(60, TimeUnit.MINUTES).join();
            try (result) {
                if (!result.successful()) {
                    throw new IllegalStateException("loading the orders failed: " + result.summary(),
                            result.failure().orElse(null));
                }
            }
        }
    }

    private static BatchedBenchmark.Measure runChild(String store, String prefix, long rows, Path dir, List<String> jvm)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.nio=ALL-UNNAMED"));
        command.addAll(jvm);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), BatchedVariant.class.getName(),
                "batched", prefix, Long.toString(rows), dir.toString(), store));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        process.getOutputStream().close();
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("RESULT ")) {
                    result = line;
                } else {
                    System.out.println("    [" + store + " " + rows + "] " + line);
                }
            }
        }
        int exit = process.waitFor();
        if (exit != 0 || result == null) {
            throw new IllegalStateException("the batched JVM on " + store + " at " + rows + " rows exited with " + exit
                    + (result == null ? " without a RESULT line" : "") + "; its errors are above");
        }
        BatchedBenchmark.Measure m = BatchedBenchmark.Measure.parse(result);
        if (m.rows() != rows) {
            throw new IllegalStateException(store + " reports " + m.rows() + " rows written, expected " + rows);
        }
        return m;
    }
}
