package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.data.Rows;
import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.VectorSchemaRoot;

/**
 * A chain of inlined tasks ending in a materialized table: {@code readings} are generated, then
 * cleaned and calibrated in memory ({@code Table.inline()}: handed over as Arrow, never written to the
 * store), and only the per-sensor summary is materialized. A change to the summary's code reruns the
 * whole chain, because the inlined tables are not in the store to be reused.
 */
public final class InlineFlow implements NamedFlow {

    static final int ROWS = 200_000;
    private Ref summary;

    @Override
    public String name() {
        return "inline";
    }

    @Override
    public String description() {
        return "a chain of inlined tasks (Arrow in memory, never in the store) ending in a materialized summary";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("inline", f -> {
            Stage sensors = f.stage("sensors");
            Ref readings = sensors.task("readings").version("1")
                    .produces(ctx -> Table.of(generate(ctx.allocator())).inline()).ref();
            Ref cleaned = sensors.task("cleaned").version("1").input("in", readings, ArrowTable.class)
                    .produces(ctx -> Table.of(clean(ctx.input("in", ArrowTable.class), ctx.allocator())).inline()).ref();
            Ref calibrated = sensors.task("calibrated").version("1").input("in", cleaned, ArrowTable.class)
                    .produces(ctx -> Table.of(calibrate(ctx.input("in", ArrowTable.class), ctx.allocator())).inline())
                    .ref();
            summary = sensors.task("summary").version("1").input("in", calibrated, ArrowTable.class)
                    .produces(ctx -> Table.of(summarize(ctx.input("in", ArrowTable.class)), "summary")
                            .primaryKey("sensor")).ref();
        });
    }

    /** {@code ROWS} readings of 10 sensors; every 50th reading is a fault (-1). */
    static ArrowTable generate(BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(java.util.List.of(
                org.apache.arrow.vector.types.pojo.Field.nullable("sensor",
                        new org.apache.arrow.vector.types.pojo.ArrowType.Int(64, true)),
                org.apache.arrow.vector.types.pojo.Field.nullable("value",
                        new org.apache.arrow.vector.types.pojo.ArrowType.FloatingPoint(
                                org.apache.arrow.vector.types.FloatingPointPrecision.DOUBLE)))), allocator);
        root.allocateNew();
        BigIntVector sensor = (BigIntVector) root.getVector(0);
        Float8Vector value = (Float8Vector) root.getVector(1);
        for (int i = 0; i < ROWS; i++) {
            sensor.setSafe(i, i % 10);
            value.setSafe(i, i % 50 == 0 ? -1.0 : 20.0 + (i % 7));
        }
        root.setRowCount(ROWS);
        return ArrowTable.of(root);
    }

    /** Drops faulty readings. */
    static ArrowTable clean(ArrowTable in, BufferAllocator allocator) {
        return rewrite(in, allocator, (s, v) -> v < 0 ? Double.NaN : v);
    }

    /** Adds each sensor's calibration offset. */
    static ArrowTable calibrate(ArrowTable in, BufferAllocator allocator) {
        return rewrite(in, allocator, (s, v) -> v + s * 0.1);
    }

    private interface Cell {
        double apply(long sensor, double value);
    }

    /** A new table with each value replaced by {@code cell}; NaN results drop the row. */
    private static ArrowTable rewrite(ArrowTable in, BufferAllocator allocator, Cell cell) {
        VectorSchemaRoot out = VectorSchemaRoot.create(in.schema(), allocator);
        out.allocateNew();
        BigIntVector sensorOut = (BigIntVector) out.getVector(0);
        Float8Vector valueOut = (Float8Vector) out.getVector(1);
        int n = 0;
        for (VectorSchemaRoot batch : in.batches()) {
            BigIntVector sensor = (BigIntVector) batch.getVector(0);
            Float8Vector value = (Float8Vector) batch.getVector(1);
            for (int i = 0; i < batch.getRowCount(); i++) {
                double v = cell.apply(sensor.get(i), value.get(i));
                if (!Double.isNaN(v)) {
                    sensorOut.setSafe(n, sensor.get(i));
                    valueOut.setSafe(n, v);
                    n++;
                }
            }
        }
        out.setRowCount(n);
        return ArrowTable.of(out);
    }

    /** Count and mean per sensor. */
    static Rows summarize(ArrowTable in) {
        Map<Long, double[]> sums = new TreeMap<>();
        for (VectorSchemaRoot batch : in.batches()) {
            BigIntVector sensor = (BigIntVector) batch.getVector(0);
            Float8Vector value = (Float8Vector) batch.getVector(1);
            for (int i = 0; i < batch.getRowCount(); i++) {
                double[] s = sums.computeIfAbsent(sensor.get(i), k -> new double[2]);
                s[0]++;
                s[1] += value.get(i);
            }
        }
        Rows.Builder rows = Rows.builder("sensor", "readings", "mean");
        sums.forEach((sensor, s) -> rows.add(sensor, (long) s[0], s[1] / s[0]));
        return rows.build();
    }

    @Override
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        Rows rows = result.get(summary, Rows.class);
        long readings = rows.stream().mapToLong(r -> r.getLong("readings")).sum();
        if (rows.size() != 10 || readings != ROWS - ROWS / 50) {
            throw new IllegalStateException("summary should hold 10 sensors and " + (ROWS - ROWS / 50)
                    + " readings: " + rows);
        }
        out.println("sensors.summary (" + readings + " readings kept; readings, cleaned and calibrated were inlined):");
        rows.stream().limit(3).forEach(r -> out.println("  " + r.asMap()));
        out.println("  ...");
    }
}
