package dev.weir.examples.cli;

import dev.weir.engine.StageDef;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.runtime.StoreRegistry;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.examples.ExampleFlow;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code weir status}: what an instance's store holds for a flow: per stage of the flow whether it is
 * committed, by which flow and at which version, and its committed tables with their row counts.
 * Reads the store only; writes nothing.
 */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows what the instance's table store"
        + " holds for a flow: each stage committed or not, the flow that committed it and its version, and its"
        + " tables with their row counts. Writes nothing.")
final class StatusCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "The flow (see `weir flows`).")
    String flow;

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @CommandLine.Mixin
    InstanceOptions target = new InstanceOptions();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FlowCatalog catalog = classpath.catalog();
        ExampleFlow example = catalog.require(flow);
        // the configuration and instance exactly as `weir run` reads them
        WeirConfig weirConfig = target.loadConfig();
        weirConfig.warnings().forEach(w -> err.println("warning: " + w));
        InstanceConfig instanceConfig = target.resolve(weirConfig);
        UnaryOperator<String> mask = weirConfig.masking(instanceConfig);
        StringBuilder text = new StringBuilder();
        try (StoreRegistry stores = new StoreRegistry(classpath.loader())) {
            TableStore store = stores.open(instanceConfig.tableStore());
            text.append("Status of flow '").append(flow).append("' on instance '").append(target.instance)
                    .append("' (").append(store.kind()).append(" store '")
                    .append(instanceConfig.tableStore().connectionName()).append("')\n");
            for (StageDef stage : example.create(weirConfig, instanceConfig).stages()) {
                if (!store.isCommitted(stage.name())) {
                    text.append("stage ").append(stage.name()).append(": not committed\n");
                    continue;
                }
                String schema = store.committedSchema(stage.name());
                text.append("stage ").append(stage.name()).append(": committed")
                        .append(store.stageOwner(stage.name()).map(f -> " by flow '" + f + "'").orElse(""))
                        .append(store.committedAt(stage.name()).map(t -> " at " + t).orElse(""))
                        .append(store.stageVersion(stage.name()).map(v -> ", version " + v).orElse(""))
                        .append(", schema ").append(schema).append('\n');
                for (String table : store.listTables(schema)) {
                    text.append("  ").append(table).append(": ")
                            .append(store.rowCount(new TableLocation(schema, table))).append(" rows\n");
                }
            }
            out.print(mask.apply(text.toString()));
            out.flush();
            return 0;
        } catch (RuntimeException e) {
            err.println(RunErrors.describe(e, mask));
            return WeirCommand.RUN_FAILED;
        }
    }
}
