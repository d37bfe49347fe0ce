package dev.weir.benchmarks;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.combine.TaskSpec;
import dev.weir.engine.config.InstanceConfig;
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
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A source-to-sink migration as one combined task against the same two tasks apart, on embedded
 * DuckDB. The source produces {@code rows × 4} numeric columns as Arrow batches; the sink writes them
 * into the store. Combined, the batches pass in memory and are written once. Apart, the source's table
 * is materialized, then read back by the sink and written again: what a pipeline pays without
 * combining. Each round runs both cold (a new version), in alternating order; the median of the
 * rounds is reported.
 *
 * <p>Usage: {@code benchmarks/run combined [rows rounds]} (default 2,000,000 rows, 3 rounds).
 */
public final class CombinedBenchmark {

    private static final int BATCH = 65_536;
    private static final Schema SCHEMA = new Schema(List.of(
            Field.nullable("order_id", new ArrowType.Int(64, true)),
            Field.nullable("customer_id", new ArrowType.Int(64, true)),
            Field.nullable("amount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
            Field.nullable("discount", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE))));

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path dir = Files.createTempDirectory("weir-bench-combined");
        double[] combined = new double[rounds];
        double[] apart = new double[rounds];
        try (FlowTestKit kit = FlowTestKit.create(dir).timeout(java.time.Duration.ofMinutes(30))) {
            InstanceConfig bench = kit.instance("bench");
            time(kit, combinedFlow(rows, "warm-up"), bench, rows, 1); // JIT and DuckDB warm-up, not counted
            time(kit, apartFlow(rows, "warm-up"), bench, rows, 2);
            for (int r = 0; r < rounds; r++) {
                String version = "round-" + r;
                if (r % 2 == 0) {
                    combined[r] = time(kit, combinedFlow(rows, version), bench, rows, 1);
                    apart[r] = time(kit, apartFlow(rows, version), bench, rows, 2);
                } else {
                    apart[r] = time(kit, apartFlow(rows, version), bench, rows, 2);
                    combined[r] = time(kit, combinedFlow(rows, version), bench, rows, 1);
                }
            }
        }
        double c = median(combined);
        double a = median(apart);
        System.out.printf(Locale.ROOT, "combined: %,d rows x 4 numeric columns on DuckDB, %d rounds (alternating)%n",
                rows, rounds);
        System.out.printf(Locale.ROOT, "  combined task (source -> sink in memory):       median %6.2f s  %s%n",
                c, Arrays.toString(round(combined)));
        System.out.printf(Locale.ROOT, "  two tasks (source materialized, read back):     median %6.2f s  %s%n",
                a, Arrays.toString(round(apart)));
        System.out.printf(Locale.ROOT, "  ratio two tasks / combined:                     %6.2fx%n", a / c);
    }

    static TaskSpec source(int rows, String version) {
        return TaskSpec.named("read_orders").version(version).produces(ctx -> Table.of(generate(rows, ctx.allocator())));
    }

    static TaskSpec sink(String version) {
        return TaskSpec.named("write_orders").version(version).takes("orders")
                .produces(ctx -> Table.of(ctx.input("orders", ArrowTable.class), "orders"));
    }

    static Flow combinedFlow(int rows, String version) {
        return Flow.define("combined", f -> f.stage("combined").task("migrate")
                .combine(source(rows, version), sink(version)));
    }

    static Flow apartFlow(int rows, String version) {
        return Flow.define("apart", f -> {
            Stage stage = f.stage("apart");
            Ref staged = stage.task("read_orders").runs(source(rows, version)).ref();
            stage.task("write_orders").runs(sink(version).bind("orders", staged));
        });
    }

    /** {@code rows} rows of four numeric columns, in batches; the caller owns the table. */
    static ArrowTable generate(int rows, BufferAllocator allocator) {
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            for (int start = 0; start < rows; start += BATCH) {
                int n = Math.min(BATCH, rows - start);
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                batches.add(root);
                root.getFieldVectors().forEach(v -> v.setInitialCapacity(n));
                root.allocateNew();
                BigIntVector id = (BigIntVector) root.getVector(0);
                BigIntVector customer = (BigIntVector) root.getVector(1);
                Float8Vector amount = (Float8Vector) root.getVector(2);
                Float8Vector discount = (Float8Vector) root.getVector(3);
                for (int i = 0; i < n; i++) {
                    long row = start + i;
                    id.set(i, row);
                    customer.set(i, row % 9_973);
                    amount.set(i, (row % 1_000) * 0.25);
                    discount.set(i, (row % 7) * 0.05);
                }
                root.setRowCount(n);
            }
            return ArrowTable.of(SCHEMA, batches);
        } catch (RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            throw e;
        }
    }

    private static double time(FlowTestKit kit, Flow flow, InstanceConfig instance, int rows, int expectRan) {
        long start = System.nanoTime();
        FlowRunRecord run = kit.run(flow, instance);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (!run.successful() || run.ran().size() != expectRan
                || run.result().tasks().stream().anyMatch(t -> t.rows() != rows)) {
            throw new IllegalStateException("unexpected run: " + run.result().toJson());
        }
        return seconds;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    private static String[] round(double[] values) {
        return Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.2f", v)).toArray(String[]::new);
    }
}
