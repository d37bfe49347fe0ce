package dev.weir.examples.cli;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.ConfigError;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.WeirException;
import dev.weir.engine.store.StoreException;
import dev.weir.examples.ExampleFlow;
import dev.weir.examples.Examples;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code weir} command line. */
@Command(name = "weir", mixinStandardHelpOptions = true, version = "weir 0.1.0",
        description = "Runs Weir pipelines: cached, materialized, multi-instance flows.",
        subcommands = {WeirCommand.Flows.class, WeirCommand.Run.class})
public final class WeirCommand implements Callable<Integer> {

    /** The examples' configuration, used when --config is not given. */
    static final String DEFAULT_CONFIG = "weir-examples.yaml";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the command line with the given output streams; returns the exit code. */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return new CommandLine(new WeirCommand()).setOut(out).setErr(err).setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("weir: " + e.getMessage());
            return e instanceof ConfigError || e instanceof WeirException || e instanceof StoreException ? 2 : 1;
        }).execute(args);
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "flows", description = "Lists the flows weir can run.")
    static final class Flows implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Examples.all().values().forEach(f -> out.printf("%-16s %s%n", f.name(), f.description()));
            return 0;
        }
    }

    @Command(name = "run", description = "Runs a flow on an instance; a re-run recomputes only what changed.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "The flow (see `weir flows`).")
        String flow;

        @Option(names = "--instance", required = true, description = "The instance: full, midi, mini, ...")
        String instance;

        @Option(names = "--config", description = "The pipeline configuration (.yaml, .yml or .conf);"
                + " default: the examples' configuration.")
        Path config;

        @Option(names = "--cache-validation", description = "normal, assert-no-fresh-input, ignore-fresh-input,"
                + " force-fresh-input or force-cache-invalid.")
        String cacheValidation;

        @Option(names = "--table-store", description = "One of the configured table store connections,"
                + " e.g. duckdb or postgres.")
        String tableStore;

        @Option(names = "--report", description = "Write the JSON run report to this file.")
        Path report;

        @Option(names = "--graph", description = "Write the flow, with each task's state, as a Mermaid diagram.")
        Path graph;

        @Option(names = "--only", split = ",", description = "Run only these stages or tasks (comma-separated).")
        List<String> only = List.of();

        @Option(names = "--per-user", description = "Run a private copy of the instance (instance id + user name).")
        boolean perUser;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            ExampleFlow example = Examples.named(flow).orElseThrow(() -> new WeirException("unknown flow '" + flow
                    + "'; the flows are " + Examples.all().keySet()));
            WeirConfig weirConfig = config != null ? WeirConfig.load(config) : WeirConfig.fromResource(DEFAULT_CONFIG);
            weirConfig.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            InstanceConfig instanceConfig = tableStore == null ? weirConfig.instance(instance, perUser)
                    : weirConfig.instance(instance, perUser, tableStore);
            RunOptions options = RunOptions.defaults().only(only.toArray(String[]::new));
            if (cacheValidation != null) {
                CacheValidation.Mode mode = CacheValidation.Mode.parse(cacheValidation).orElseThrow(() ->
                        new CommandLine.ParameterException(spec.commandLine(), "--cache-validation: '" + cacheValidation
                                + "' is not one of normal, assert-no-fresh-input, ignore-fresh-input,"
                                + " force-fresh-input, force-cache-invalid"));
                options = options.cacheValidation(instanceConfig.cacheValidation().withMode(mode));
            }
            Flow built = example.create(weirConfig, instanceConfig);
            try (Weir weir = Weir.start()) {
                ActorRef<RunEvent> printer = weir.system().systemActorOf(
                        ProgressPrinter.create(new java.io.PrintStream(System.out, true)), "progress", Props.empty());
                try (Result result = weir.run(built, instanceConfig, options.listener(printer)).toCompletableFuture()
                        .join()) {
                out.flush();
                Thread.sleep(50); // let the printer write its last lines before the summary
                if (report != null) {
                    Path parent = report.toAbsolutePath().getParent();
                    if (parent != null) {
                        Files.createDirectories(parent);
                    }
                    Files.writeString(report, result.toJson());
                }
                if (graph != null) {
                    Files.writeString(graph, dev.weir.engine.FlowDiagram.mermaid(built, result));
                }
                if (result.successful()) {
                    example.show(result, instanceConfig, System.out);
                }
                System.out.println(result.summary());
                return result.successful() ? 0 : 1;
                }
            }
        }
    }
}
