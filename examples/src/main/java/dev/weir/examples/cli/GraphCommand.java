package dev.weir.examples.cli;

import com.typesafe.config.Config;
import dev.weir.engine.Flow;
import dev.weir.engine.FlowDiagram;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.PlanReport;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.report.HtmlReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code weir graph}: the flow's graph without running it, as Mermaid text or a self-contained HTML page;
 * with {@code --instance}, each task coloured by what a run would do (its plan).
 */
@Command(name = "graph", mixinStandardHelpOptions = true, description = "Draws a flow without running it: stages"
        + " as boxes, tasks as nodes, inputs as arrows. With --instance, each task is coloured by what a run would do"
        + " (run, cache hit, ...), as `weir plan` says.", exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:drawn", "1:planning failed (e.g. the store is unreachable)",
                "2:the command line is wrong: an unknown option, flow, instance, store or format, an unusable path"})
final class GraphCommand implements Callable<Integer> {

    /** How long planning may take: cache functions and lazy task functions run, and the store is read. */
    private static final long PLAN_TIMEOUT_SECONDS = 300;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "The flow (see `weir flows`).")
    String flow;

    @Option(names = "--format", defaultValue = "mermaid", description = "mermaid (text, the default) or html (a"
            + " page that opens offline).")
    String format;

    @Option(names = "--output", paramLabel = "FILE", description = "Write it to this file instead of the output.")
    Path output;

    @Option(names = "--instance", description = "Colour each task by what a run on this instance would do. Without"
            + " it, the flow is drawn as built for the configuration's first instance, and nothing is read.")
    String instance;

    @Option(names = "--config", description = "The pipeline configuration (.yaml, .yml or .conf);"
            + " default: weir.yaml, weir.yml, weir.conf or pipedag.yaml in the working directory, else the examples'"
            + " configuration.")
    Path config;

    @Option(names = "--table-store", description = "One of the configured table store connections (with --instance).")
    String tableStore;

    @Option(names = "--per-user", description = "The private copy of the instance (with --instance).")
    boolean perUser;

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter of the flow, repeatable, as for"
            + " `weir run`.")
    Map<String, String> params = new LinkedHashMap<>();

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean html = switch (format) {
            case "html" -> true;
            case "mermaid" -> false;
            default -> throw new WeirCommand.UsageError("--format " + format + ": not one of mermaid, html");
        };
        NamedFlow example = classpath.catalog().require(flow);
        WeirCommand.Run.checkWritable("--output", output);
        Config paramAttrs = WeirCommand.Run.paramAttrs(params);
        InstanceOptions target = new InstanceOptions();
        target.config = config;
        target.tableStore = tableStore;
        target.perUser = perUser;
        WeirConfig weirConfig = target.loadConfig();
        weirConfig.warnings().forEach(w -> err.println("warning: " + w));
        if (instance == null && (tableStore != null || perUser)) {
            throw new WeirCommand.UsageError((tableStore != null ? "--table-store" : "--per-user")
                    + " needs --instance: without it nothing is read from a store");
        }
        target.instance = instance != null ? instance : weirConfig.instanceNames().get(0);
        InstanceConfig resolved = target.resolve(weirConfig);
        InstanceConfig instanceConfig = params.isEmpty() ? resolved
                : resolved.withAttrs(paramAttrs.withFallback(resolved.attrs()));
        UnaryOperator<String> mask = weirConfig.masking(instanceConfig);
        Flow built = example.create(weirConfig, instanceConfig);
        String drawn;
        if (instance == null) {
            drawn = html ? HtmlReport.graph(built) : FlowDiagram.mermaid(built);
        } else {
            PlanReport plan;
            try (Weir weir = Weir.start()) {
                plan = weir.plan(built, instanceConfig, RunOptions.defaults()).toCompletableFuture()
                        .orTimeout(PLAN_TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
            } catch (RuntimeException e) {
                err.println(RunErrors.describe(e, mask));
                return WeirCommand.RUN_FAILED;
            }
            drawn = html ? HtmlReport.plan(built, plan, mask) : mask.apply(FlowDiagram.mermaid(built, plan));
        }
        if (output == null) {
            out.print(drawn);
            out.flush();
        } else {
            Files.writeString(output, drawn);
        }
        return 0;
    }
}
