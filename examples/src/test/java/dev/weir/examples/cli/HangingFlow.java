package dev.weir.examples.cli;

import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;

/**
 * A flow for the command line's signal tests, run in a child JVM: stage {@code s} commits a table
 * {@code kept}; with {@code -Dweir.test.hang=true} a second task prints {@code HANGING} and sleeps until
 * it is interrupted. Registered through {@code META-INF/services} of the test classes only.
 */
public final class HangingFlow implements NamedFlow {

    static final String NAME = "hang-for-test";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "(tests) a task that hangs until the run is cancelled";
    }

    @Override
    public Flow create(WeirConfig config, InstanceConfig instance) {
        boolean hang = Boolean.getBoolean("weir.test.hang");
        return Flow.define("hang", f -> {
            Stage s = f.stage("s");
            s.task("kept").version(hang ? "2" : "1").produces(ctx -> Table.of(Rows.builder("v").add(hang ? 2L : 1L)
                    .build()));
            if (hang) {
                s.task("hung").produces(ctx -> {
                    System.out.println("HANGING");
                    Thread.sleep(600_000);
                    return 0;
                });
            }
        });
    }
}
