package dev.weir.examples.cli;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.batch.Batched;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;

/**
 * A flow for the report's tests, with every state a task can end in. Stage {@code report_raw}: {@code load} and a
 * task whose name is markup ({@link #HOSTILE}); both are cache hits on a second run. Stage {@code report_work}:
 * {@code stamp} (no version: runs every time), {@code split} (batched in 2 chunks), {@code explode} (always
 * fails, with markup in its message) and {@code after} (reads {@code explode}: skipped). Registered through
 * {@code META-INF/services} of the test classes only.
 */
public final class ReportFlow implements NamedFlow {

    static final String NAME = "report-for-test";
    /** A task name that is HTML, closes a Mermaid label and a quoted attribute. */
    static final String HOSTILE = "<script>alert(\"x\")</script> \"] it's #1 | `a` & b";
    /** Markup in a failing task's error. */
    static final String ERROR = "<b>boom</b> & \"quoted\" </script>";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "(tests) a failing task, cache hits and a task whose name is markup";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("report_test", f -> {
            var raw = f.stage("report_raw");
            Ref load = raw.task("load").version("1")
                    .produces(ctx -> Table.of(Rows.builder("id").add(1L).add(2L).add(3L).add(4L).build(), "ids"))
                    .ref();
            raw.task(HOSTILE).version("1").produces(ctx -> Table.of(Rows.builder("x").add(1L).build(), "odd"));
            var work = f.stage("report_work");
            work.task("stamp").input("ids", load, Rows.class)
                    .produces(ctx -> Table.of(Rows.builder("n").add((long) ctx.input("ids", Rows.class).size())
                            .build(), "stamped"));
            work.task("split").version("1").input("ids", load, Rows.class).batched(Batched.rangeOf("id", 2))
                    .produces(ctx -> Table.of(ctx.input("ids", Rows.class), "split"));
            Ref explode = work.task("explode").version("1").input("ids", load, Rows.class)
                    .produces(ctx -> {
                        throw new IllegalStateException(ERROR);
                    }).ref();
            work.task("after").version("1").input("e", explode, Rows.class)
                    .produces(ctx -> Table.of(ctx.input("e", Rows.class), "after"));
        });
    }
}
