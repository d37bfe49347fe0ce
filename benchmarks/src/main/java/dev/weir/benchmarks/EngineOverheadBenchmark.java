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
 * <p>Usage: {@code benchmarks/run engine-overhead [perStage stages]} (default 50 × 20 = 1,000 tasks).
 */
public final class EngineOverheadBenchmark {

    public static void main(String[] args) throws Exception {
        int perStage = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int stages = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int tasks = perStage * stages;
        Path dir = Files.createTempDirectory("weir-bench");
        double rawSeconds = rawDuckDb(dir.resolve("raw.duckdb"), stages, perStage);
        try (FlowTestKit kit = FlowTestKit.create(dir).timeout(java.time.Duration.ofMinutes(30))) {
            InstanceConfig bench = kit.instance("bench");
            double cold = time(kit, flow(stages, perStage, "1"), bench, tasks, 0);
            double cached = time(kit, flow(stages, perStage, "1"), bench, 0, tasks);
            double bumped = time(kit, flow(stages, perStage, "2"), bench, stages, tasks - stages);
            System.out.printf(Locale.ROOT, "engine-overhead: %d tasks (%d stages x %d) on DuckDB%n", tasks, stages, perStage);
            System.out.printf(Locale.ROOT, "  raw DuckDB, same CREATE TABLE statements: %7.2f s  (%.2f ms/task)%n",
                    rawSeconds, rawSeconds * 1000 / tasks);
            System.out.printf(Locale.ROOT, "  Weir cold run:                            %7.2f s  (%.2f ms/task, %.2fx raw)%n",
                    cold, cold * 1000 / tasks, cold / rawSeconds);
            System.out.printf(Locale.ROOT, "  Weir engine overhead, cold (Weir - raw):  %7.2f ms/task%n",
                    (cold - rawSeconds) * 1000 / tasks);
            System.out.printf(Locale.ROOT, "  Weir fully cached re-run:                 %7.2f s  (%.3f ms/task)%n",
                    cached, cached * 1000 / tasks);
            System.out.printf(Locale.ROOT, "  Weir re-run after one version bump:       %7.2f s  (%d tasks ran)%n",
                    bumped, stages);
        }
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
