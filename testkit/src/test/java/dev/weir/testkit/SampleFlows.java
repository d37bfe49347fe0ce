package dev.weir.testkit;

import dev.weir.engine.Flow;
import dev.weir.engine.Outputs;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.data.Rows;
import java.util.concurrent.atomic.AtomicReference;

/** Small flows shared by the engine's tests. */
final class SampleFlows {

    private SampleFlows() {
    }

    static Rows source() {
        return Rows.builder("a", "b").add(0L, 9L).add(1L, 8L).add(2L, 7L).add(4L, 6L).build();
    }

    static Rows doubled(Rows rows) {
        return rows.map(r -> r.map((c, v) -> ((Number) v).longValue() * 2));
    }

    /**
     * pipedag's multi-instance sample: {@code input_task} with two outputs in stage_1,
     * {@code double_values} applied to each, and once more in stage_2.
     *
     * @param versions       the version of each task, by name (default "1.0")
     * @param cacheValue     what input_task's cache function returns
     */
    static Flow twoStages(java.util.Map<String, String> versions, AtomicReference<Object> cacheValue) {
        return Flow.define("sample", f -> {
            Stage s1 = f.stage("stage_1");
            TaskHandle input = s1.task("input_task").version(versions.getOrDefault("input_task", "1.0"))
                    .outputs("dfA", "dfB").cache(ctx -> cacheValue.get())
                    .produces(ctx -> Outputs.of(Table.of(source(), "dfA"), Table.of(source(), "dfB")));
            Ref a2 = doubleValues(s1, "double_a", input.ref("dfA"), versions);
            Stage s2 = f.stage("stage_2");
            doubleValues(s2, "double_b", input.ref("dfB"), versions);
            doubleValues(s2, "double_a2", a2, versions);
        });
    }

    static Ref doubleValues(Stage stage, String name, Ref in, java.util.Map<String, String> versions) {
        return stage.task(name).version(versions.getOrDefault(name, "1.0")).input("df", in, Rows.class)
                .produces(ctx -> Table.of(doubled(ctx.input("df", Rows.class)))).ref();
    }
}
