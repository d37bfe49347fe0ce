package dev.weir.benchmarks;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.LocalTableCache;
import dev.weir.engine.data.ArrowTable;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Reading a task's input table of {@code rows} rows (BIGINT id, DOUBLE x, VARCHAR name) from the table
 * store vs from the local table cache ({@code table_store.local_table_cache}, a Parquet file kept under
 * the producer's key). The producer is a lazy SQL task generating the rows in the store; the consumer
 * reads the table whole as an {@code ArrowTable} and reruns every round (its version changes), the
 * producer is a cache hit. Measured is the consumer's task time, as the run reports it, on PostgreSQL
 * (when the PG* variables reach a server) and on DuckDB; rounds alternate the two sides.
 *
 * <p>Usage: {@code benchmarks/run local-table-cache [rows rounds]} (default 5,000,000 rows, 5 rounds).
 */
public final class LocalTableCacheBenchmark {

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 5_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("weir-ltc-bench");
        boolean postgres = System.getenv("PGHOST") != null;
        System.out.printf(Locale.ROOT, "local-table-cache: reading a %,d-row input, median of %d rounds%n", rows, rounds);
        try (FlowTestKit kit = FlowTestKit.create(dir).timeout(java.time.Duration.ofMinutes(30))) {
            if (postgres) {
                compare(kit, "PostgreSQL", kit.postgresInstance("ltc_bench"), dir.resolve("pg-cache"), rows, rounds);
            } else {
                System.out.println("  PostgreSQL: skipped (no PG* server)");
            }
            compare(kit, "DuckDB", kit.instance("ltc_bench"), dir.resolve("duck-cache"), rows, rounds);
        }
    }

    private static void compare(FlowTestKit kit, String store, InstanceConfig plain, Path cacheDir, int rows,
                                int rounds) {
        InstanceConfig cached = plain.withLocalTableCache(new LocalTableCache(true, false, true, cacheDir));
        Rounds times = new Rounds(rounds);
        // round -1 makes the table and keeps its file, and warms the JIT
        for (int r = -1; r < rounds; r++) {
            String version = "v" + r;
            double fromStore;
            double fromFile;
            if (Rounds.referenceFirst(Math.max(r, 0))) {
                fromStore = read(kit, plain, rows, version + "-store");
                fromFile = read(kit, cached, rows, version + "-file");
            } else {
                fromFile = read(kit, cached, rows, version + "-file");
                fromStore = read(kit, plain, rows, version + "-store");
            }
            if (r >= 0) {
                times.weir(r, fromFile);
                times.reference(r, fromStore);
            }
        }
        System.out.printf(Locale.ROOT, "  %-10s from the store %6.2f s, from the local table cache %6.2f s:"
                        + " %.2fx faster (median of per-round ratios)%n", store, times.medianReferenceSeconds(),
                times.medianWeirSeconds(), times.medianSpeedup());
    }

    /** Runs the flow with the consumer at {@code version} and returns the consumer's task time. */
    private static double read(FlowTestKit kit, InstanceConfig instance, int rows, String version) {
        FlowRunRecord run = kit.run(flow(rows, version), instance);
        if (!run.successful() || !run.ran().contains("read")) {
            throw new IllegalStateException("unexpected run: " + run.result().summary());
        }
        double seconds = run.task("read").seconds();
        run.result().close();
        return seconds;
    }

    static Flow flow(int rows, String version) {
        return Flow.define("ltc-bench", f -> {
            Ref table = f.stage("raw").task("make").sql("SELECT CAST(g AS BIGINT) AS id, g * 0.5 AS x,"
                    + " 'row ' || CAST(g AS VARCHAR) AS name FROM generate_series(1, " + rows + ") AS t(g)", Map.of())
                    .ref();
            f.stage("out").task("read").version(version).input("t", table, ArrowTable.class)
                    .produces(ctx -> ctx.input("t", ArrowTable.class).rowCount());
        });
    }
}
