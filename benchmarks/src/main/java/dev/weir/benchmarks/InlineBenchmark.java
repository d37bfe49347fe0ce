package dev.weir.benchmarks;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.data.ArrowTable;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A chain of 10 tasks, each transforming a table of {@code rows} rows (BIGINT id, DOUBLE x, DOUBLE y),
 * and a last task reducing the result to a checksum (so that the inline run, like the plain loop, ends
 * in a value, not a 1M-row table to materialize), run (a) materialized on DuckDB, (b) materialized on PostgreSQL (when the PG* variables reach a
 * server), (c) inline, and (d) as a plain Java loop calling the same 10 functions with no engine.
 * Rounds alternate the four; the medians and ratios are printed.
 *
 * <p>Usage: {@code benchmarks/run inline [rows rounds]} (default 1,000,000 rows, 3 rounds).
 */
public final class InlineBenchmark {

    static final int CHAIN = 10;

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("weir-inline-bench");
        boolean postgres = System.getenv("PGHOST") != null;
        double[][] times = new double[4][rounds];
        try (FlowTestKit kit = FlowTestKit.create(dir).timeout(java.time.Duration.ofMinutes(30))) {
            Flow flow = chain(rows);
            InstanceConfig duck = kit.instance("bench").withInline(InlineMode.FORCE_FALSE);
            InstanceConfig inline = kit.instance("bench_inline").withInline(InlineMode.FORCE_TRUE);
            InstanceConfig pg = postgres ? kit.postgresInstance("bench").withInline(InlineMode.FORCE_FALSE) : null;
            RunOptions rerun = RunOptions.defaults().cacheValidation(
                    CacheValidation.NORMAL.withMode(CacheValidation.Mode.FORCE_CACHE_INVALID));
            for (int r = -1; r < rounds; r++) { // round -1 warms the JIT and the stores
                double plain = plainLoop(rows);
                double d = run(kit, flow, duck, rerun);
                double i = run(kit, flow, inline, rerun);
                double p = postgres ? run(kit, flow, pg, rerun) : Double.NaN;
                if (r >= 0) {
                    times[0][r] = d;
                    times[1][r] = p;
                    times[2][r] = i;
                    times[3][r] = plain;
                }
            }
        }
        double duck = median(times[0]);
        double pg = median(times[1]);
        double inline = median(times[2]);
        double plain = median(times[3]);
        System.out.printf(Locale.ROOT, "inline: chain of %d tasks over %,d rows, median of %d rounds%n", CHAIN, rows, rounds);
        System.out.printf(Locale.ROOT, "  (a) materialized, DuckDB:      %7.2f s%n", duck);
        System.out.printf(Locale.ROOT, "  (b) materialized, PostgreSQL:  %7.2f s%s%n", pg, postgres ? "" : " (no PG* server)");
        System.out.printf(Locale.ROOT, "  (c) inline:                    %7.2f s%n", inline);
        System.out.printf(Locale.ROOT, "  (d) plain Java loop:           %7.2f s%n", plain);
        System.out.printf(Locale.ROOT, "  inline vs PostgreSQL: %.1fx faster (goal >= 5x); vs DuckDB: %.1fx faster%n",
                pg / inline, duck / inline);
        System.out.printf(Locale.ROOT, "  inline / plain loop: %.2fx (goal <= 1.2x)%n", inline / plain);
    }

    static Flow chain(int rows) {
        return Flow.define("inline-bench", f -> {
            Stage s = f.stage("chain");
            Ref previous = s.task("t0").produces(ctx -> Table.of(generate(rows, ctx.allocator())).inline()).ref();
            for (int i = 1; i < CHAIN; i++) {
                previous = s.task("t" + i).input("in", previous, ArrowTable.class)
                        .produces(ctx -> Table.of(step(ctx.input("in", ArrowTable.class), ctx.allocator())).inline())
                        .ref();
            }
            s.task("checksum").input("in", previous, ArrowTable.class)
                    .produces(ctx -> checksum(ctx.input("in", ArrowTable.class)));
        });
    }

    private static double run(FlowTestKit kit, Flow flow, InstanceConfig instance, RunOptions options) {
        long start = System.nanoTime();
        FlowRunRecord run = kit.run(flow, instance, options);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!run.successful() || run.ran().size() != CHAIN + 1) {
            throw new IllegalStateException("unexpected run: " + run.result().summary());
        }
        run.result().close();
        return seconds;
    }

    /** The same 10 functions with no engine: generate, then 9 steps, each closing its input. */
    private static double plainLoop(int rows) {
        long start = System.nanoTime();
        try (BufferAllocator allocator = new RootAllocator()) {
            ArrowTable table = generate(rows, allocator);
            for (int i = 1; i < CHAIN; i++) {
                ArrowTable next = step(table, allocator);
                table.close();
                table = next;
            }
            if (Double.isNaN(checksum(table))) {
                throw new IllegalStateException("checksum is NaN");
            }
            table.close();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    static ArrowTable generate(int rows, BufferAllocator allocator) {
        Schema schema = new Schema(List.of(Field.nullable("id", new ArrowType.Int(64, true)),
                Field.nullable("x", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                Field.nullable("y", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        root.allocateNew();
        BigIntVector id = (BigIntVector) root.getVector(0);
        Float8Vector x = (Float8Vector) root.getVector(1);
        Float8Vector y = (Float8Vector) root.getVector(2);
        for (int i = 0; i < rows; i++) {
            id.setSafe(i, i);
            x.setSafe(i, i * 0.5);
            y.setSafe(i, 1.0);
        }
        root.setRowCount(rows);
        return ArrowTable.of(root);
    }

    /** The sum of x: the value the chain ends in. */
    static double checksum(ArrowTable table) {
        double sum = 0;
        for (VectorSchemaRoot batch : table.batches()) {
            Float8Vector x = (Float8Vector) batch.getVector(1);
            for (int i = 0; i < batch.getRowCount(); i++) {
                sum += x.get(i);
            }
        }
        return sum;
    }

    /** One transformation: x' = x * 1.0001 + y, y' = y + 1. */
    static ArrowTable step(ArrowTable in, BufferAllocator allocator) {
        List<VectorSchemaRoot> out = new ArrayList<>();
        for (VectorSchemaRoot batch : in.batches()) {
            VectorSchemaRoot next = VectorSchemaRoot.create(in.schema(), allocator);
            int n = batch.getRowCount();
            next.allocateNew();
            BigIntVector id = (BigIntVector) batch.getVector(0);
            Float8Vector x = (Float8Vector) batch.getVector(1);
            Float8Vector y = (Float8Vector) batch.getVector(2);
            BigIntVector id2 = (BigIntVector) next.getVector(0);
            Float8Vector x2 = (Float8Vector) next.getVector(1);
            Float8Vector y2 = (Float8Vector) next.getVector(2);
            for (int i = 0; i < n; i++) {
                id2.setSafe(i, id.get(i));
                x2.setSafe(i, x.get(i) * 1.0001 + y.get(i));
                y2.setSafe(i, y.get(i) + 1);
            }
            next.setRowCount(n);
            out.add(next);
        }
        return ArrowTable.of(in.schema(), out);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
