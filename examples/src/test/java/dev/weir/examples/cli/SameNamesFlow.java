package dev.weir.examples.cli;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Ref;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;

/**
 * A flow for the command line's tests: a task {@code load} in stage {@code a} and one in stage {@code b},
 * read by {@code c/both}. Registered through {@code META-INF/services} of the test classes only.
 */
public final class SameNamesFlow implements NamedFlow {

    static final String NAME = "same-names-for-test";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "(tests) two stages with a task of the same name";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        return Flow.define("same_names", f -> {
            Ref a = f.stage("a").task("load").version("1")
                    .produces(ctx -> Table.of(Rows.builder("x").add(1L).build())).ref();
            Ref b = f.stage("b").task("load").version("1")
                    .produces(ctx -> Table.of(Rows.builder("x").add(2L).add(3L).build())).ref();
            f.stage("c").task("both").version("1").input("a", a, Rows.class).input("b", b, Rows.class)
                    .produces(ctx -> Table.of(Rows.builder("n")
                            .add((long) (ctx.input("a", Rows.class).size() + ctx.input("b", Rows.class).size()))
                            .build()));
        });
    }
}
