package dev.weir.examples;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Result;
import dev.weir.engine.Sql;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskContext;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;
import java.io.PrintStream;

/**
 * pipedag's multi-instance example in Java. The {@code full} instance loads its input with
 * {@code input_task} (two outputs, a version and a cache function); {@code midi} and {@code mini} copy
 * a filtered sample of full's committed {@code stage_1} instead ({@code copy_filtered_inputs}, the
 * {@code input_stage_versions} idea), so that small instances run on real data in seconds. Every
 * instance then doubles the values, once in stage_1 and again in stage_2.
 *
 * <p>Attributes ({@code attrs}): {@code copy_filtered_input}, {@code copy_source}, {@code copy_per_user},
 * {@code copy_filter_cnt}.
 */
public final class MultiInstanceFlow implements NamedFlow {

    /** The source data; in a real pipeline, a database or files. */
    static final Rows SOURCE = Rows.builder("a", "b").add(0L, 9L).add(1L, 8L).add(2L, 7L).add(4L, 6L).build();

    private Ref doubledB;
    private Ref quadrupledA;

    @Override
    public String name() {
        return "multi-instance";
    }

    @Override
    public String description() {
        return "pipedag's multi-instance sample: full loads the input, midi/mini copy a sample of full";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        boolean copyFiltered = instance.attrs().hasPath("copy_filtered_input")
                && instance.attrs().getBoolean("copy_filtered_input");
        return Flow.define("multi-instance", f -> {
            Stage stage1 = f.stage("stage_1");
            TaskHandle input = copyFiltered ? copyFilteredInputs(stage1, config, instance) : inputTask(stage1);
            Ref a2 = doubleValues(stage1, "double_values_a", input.ref("dfA"));
            Stage stage2 = f.stage("stage_2");
            doubledB = doubleValues(stage2, "double_values_b", input.ref("dfB"));
            quadrupledA = doubleValues(stage2, "double_values_a2", a2);
        });
    }

    private static TaskHandle inputTask(Stage stage) {
        return stage.task("input_task").version("1.0").outputs("dfA", "dfB")
                .cache(ctx -> CacheKeys.hash(SOURCE.toString()))
                .produces(ctx -> Outputs.of(Table.of(SOURCE, "dfA"), Table.of(SOURCE, "dfB")));
    }

    private static TaskHandle copyFilteredInputs(Stage stage, WeirConfig config, InstanceConfig instance) {
        String sourceName = instance.attrs().getString("copy_source");
        boolean perUser = instance.attrs().hasPath("copy_per_user") && instance.attrs().getBoolean("copy_per_user");
        InstanceConfig source = config.instance(sourceName, perUser, instance.tableStore().connectionName());
        int count = instance.attrs().getInt("copy_filter_cnt");
        return stage.task("copy_filtered_inputs").outputs("dfA", "dfB").sourceInstance(source).lazy()
                .produces(ctx -> Outputs.of(sample(ctx, "dfA", count), sample(ctx, "dfB", count)));
    }

    private static Table sample(TaskContext ctx, String table, int count) {
        String source = ctx.sourceTables().get(table);
        if (source == null) {
            throw new IllegalStateException("the source instance has no table '" + table + "' in stage_1: "
                    + ctx.sourceTables().keySet());
        }
        return Table.of(Sql.of("SELECT * FROM " + source + " ORDER BY a LIMIT " + count), table);
    }

    private static Ref doubleValues(Stage stage, String name, Ref in) {
        return stage.task(name).version("1.0").input("df", in, Rows.class)
                .produces(ctx -> Table.of(ctx.input("df", Rows.class).map(r -> r.map((c, v) -> ((Number) v).longValue() * 2))))
                .ref();
    }

    @Override
    public void show(Result result, InstanceConfig instance, PrintStream out) {
        int head = instance.attrs().hasPath("copy_filter_cnt") && instance.attrs().getBoolean("copy_filtered_input")
                ? instance.attrs().getInt("copy_filter_cnt") : 999;
        Rows b2 = result.get(doubledB, Rows.class);
        Rows a4 = result.get(quadrupledA, Rows.class);
        check("double_values_b", SOURCE.head(head), 2, b2);
        check("double_values_a2", SOURCE.head(head), 4, a4);
        out.println("stage_2.double_values_b  = source x 2: " + b2.stream().map(r -> r.values().toString()).toList());
        out.println("stage_2.double_values_a2 = source x 4: " + a4.stream().map(r -> r.values().toString()).toList());
    }

    private static void check(String what, Rows source, long factor, Rows actual) {
        Rows expected = source.map(r -> r.map((c, v) -> ((Number) v).longValue() * factor));
        java.util.List<java.util.List<Object>> sorted = actual.stream().map(r -> r.values())
                .sorted(java.util.Comparator.comparing(v -> (Long) v.get(0))).toList();
        if (!expected.stream().map(r -> r.values()).toList().equals(sorted)) {
            throw new IllegalStateException(what + " is " + sorted + ", expected " + expected.asList());
        }
    }
}
