package dev.weir.benchmarks;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Locale;

/**
 * The engine's per-task cost on embedded DuckDB: a flow of {@code stages × perStage} trivial tasks
 * (each writes a one-row table; task j of stage i reads task j of stage i-1), run cold, fully cached,
 * and after one version bump in the first stage (which reruns one chain: one task per stage). The
 * reference is the same CREATE TABLE statements issued straight to DuckDB over JDBC, so the ratio
 * shows what the engine adds (planning, caching, metadata, stage commits, actors) over the SQL.
 *
 * <p>Rounds alternate the reference and Weir (each round on a fresh database and instance, so every
 * cold run is cold) and the medians are reported: the machines are shared and noisy.
 *
 * <p>Usage: {@code benchmarks/run engine-overhead [perStage stages rounds]} (default 50 × 20 = 1,000
 * tasks, 3 rounds).
 */
public final class EngineOverheadBenchmark {

    public static void main(String[] args) throws Exception {
        int perStage = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int stages = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int tasks = perStage * stages;
        Path dir = Files.createTempDirectory("weir-bench");
        double[] raw = new double[rounds];
        double[] cold = new double[rounds];
        double[] cached = new double[rounds];
        double[] bumped = new double[rounds];
        try (FlowTestKit kit = FlowTestKit.create(dir).timeout(java.time.Duration.ofMinutes(30))) {
            for (int r = 0; r < rounds; r++) {
                raw[r] = rawDuckDb(dir.resolve("raw" + r + ".duckdb"), stages, perStage);
                InstanceConfig bench = kit.instance("bench" + r);
                cold[r] = time(kit, flow(stages, perStage, "1"), bench, tasks, 0);
                cached[r] = time(kit, flow(stages, perStage, "1"), bench, 0, tasks);
                bumped[r] = time(kit, flow(stages, perStage, "2"), bench, stages, tasks - stages);
                System.out.printf(Locale.ROOT, "  round %d: raw %.2f s, cold %.2f s, cached %.2f s, bump %.2f s%n", r + 1,
                        raw[r], cold[r], cached[r], bumped[r]);
            }
        }
        double rawSeconds = median(raw);
        double coldSeconds = median(cold);
        System.out.printf(Locale.ROOT, "engine-overhead: %d tasks (%d stages x %d) on DuckDB, median of %d rounds%n",
                tasks, stages, perStage, rounds);
        System.out.printf(Locale.ROOT, "  raw DuckDB, same CREATE TABLE statements: %7.2f s  (%.2f ms/task)%n",
                rawSeconds, rawSeconds * 1000 / tasks);
        System.out.printf(Locale.ROOT, "  Weir cold run:                            %7.2f s  (%.2f ms/task, %.2fx raw)%n",
                coldSeconds, coldSeconds * 1000 / tasks, coldSeconds / rawSeconds);
        System.out.printf(Locale.ROOT, "  Weir engine overhead, cold (Weir - raw):  %7.2f ms/task (goal < 5)%n",
                (coldSeconds - rawSeconds) * 1000 / tasks);
        System.out.printf(Locale.ROOT, "  Weir fully cached re-run:                 %7.2f s  (goal < 1 s)%n", median(cached));
        System.out.printf(Locale.ROOT, "  Weir re-run after one version bump:       %7.2f s  (%d tasks ran)%n",
                median(bumped), stages);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static Flow flow(int stages, int perStage, String firstVersion) {
        return Flow.define("bench", f -> {
            Ref[] previous = new Ref[perStage];
            for (int s = 0; s < stages; s++) {
                Stage stage = f.stage("stage_" + s);
                for (int t = 0; t < perStage; t++) {
                    String name = "t_" + s + "_" + t;
                    long value = (long) s * perStage + t;
                    var task = stage.task(name).version(s == 0 && t == 0 ? firstVersion : "1");
                    if (previous[t] != null) {
                        task.input("prev", previous[t], String.class);
                    }
                    previous[t] = task.produces(ctx -> Table.of(Rows.builder("v").add(value).build())).ref();
                }
            }
        });
    }

    private static double time(FlowTestKit kit, Flow flow, InstanceConfig instance, int expectRan, int expectHits) {
        long start = System.nanoTime();
        FlowRunRecord run = kit.run(flow, instance);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!run.successful() || run.ran().size() != expectRan || run.cacheHits().size() != expectHits) {
            throw new IllegalStateException("unexpected run: " + run.result().summary() + " (expected " + expectRan
                    + " ran, " + expectHits + " hits)");
        }
        return seconds;
    }

    private static double rawDuckDb(Path file, int stages, int perStage) throws Exception {
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:" + file); Statement st = c.createStatement()) {
            for (int s = 0; s < stages; s++) {
                st.execute("CREATE SCHEMA \"stage_" + s + "\"");
                for (int t = 0; t < perStage; t++) {
                    st.execute("CREATE TABLE \"stage_" + s + "\".\"t_" + s + "_" + t + "\" AS SELECT "
                            + ((long) s * perStage + t) + "::BIGINT AS v");
                }
            }
        }
        return (System.nanoTime() - start) / 1e9;
    }
}
