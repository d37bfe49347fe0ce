package dev.weir.examples.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.weir.engine.Flow;
import dev.weir.engine.NamedFlow;
import dev.weir.engine.Result;
import dev.weir.engine.RunCancelledException;
import dev.weir.engine.RunHandle;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.report.HtmlReport;
import dev.weir.engine.report.RunTimeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code weir} command line. */
@Command(name = "weir", mixinStandardHelpOptions = true, version = "weir 0.1.0",
        description = "Runs Weir pipelines: cached, materialized, multi-instance flows.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the command succeeded (help printed, flows listed, the run successful)",
                "1:the run failed, or could not start",
                "2:the command line is wrong: an unknown option, flow, instance or store, an unusable path"})
public final class WeirCommand implements Callable<Integer> {

    /**
     * The subcommands by name, in the order help lists them. Only the one a command line names is built
     * (picocli reads each subcommand's options by reflection: about 0.2 s of CPU for all of them);
     * a command line that names none (help, --version, a wrong word) gets them all.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(Flows.class, Run.class, PlanCommand.class,
            StatusCommand.class, ClearCommand.class, GraphCommand.class, NodeCommand.class, ClusterCommand.class);

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

    /** The exit code of a run that failed, or could not start. */
    static final int RUN_FAILED = 1;
    /** The exit code of a command line that is wrong: an unknown option, flow, instance or store, an unusable path. */
    static final int USAGE = CommandLine.ExitCode.USAGE;

    /**
     * Runs the command line with the given output streams; returns the exit code. Every failure is
     * printed on {@code err}, secrets masked: a wrong command line exits with {@link #USAGE}, anything
     * else (an unusable configuration, a run that failed) with {@link #RUN_FAILED}.
     */
    static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(args).setOut(out).setErr(err).setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof UsageError) {
                cmd.getErr().println("weir: " + WeirConfig.maskUrlPasswords(e.getMessage()));
                cmd.getErr().println("Try 'weir " + (cmd.getCommandName().equals("weir") ? "" : cmd.getCommandName() + " ")
                        + "--help' for the options.");
                return USAGE;
            }
            cmd.getErr().println(RunErrors.describe(e, WeirConfig::maskUrlPasswords));
            return RUN_FAILED;
        }).execute(args);
    }

    /** The command line model for {@code args}: with only the subcommand {@code args[0]} names, if any, else all. */
    static CommandLine commandLine(String... args) {
        CommandLine commandLine = new CommandLine(new WeirCommand());
        Class<?> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
        if (named != null) {
            commandLine.addSubcommand(args[0], named);
        } else {
            SUBCOMMANDS.forEach(commandLine::addSubcommand);
        }
        return commandLine;
    }

    private static Map<String, Class<?>> subcommands(Class<?>... commands) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> command : commands) {
            byName.put(command.getAnnotation(Command.class).name(), command);
        }
        return java.util.Collections.unmodifiableMap(byName);
    }

    /** The command line is wrong; exits with {@link #USAGE}. The message says what is wrong and what exists. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }

        UsageError(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "flows", mixinStandardHelpOptions = true, description = "Lists the flows weir can run: the"
            + " built-in examples and those of --classpath.", exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:listed", "2:the command line is wrong (e.g. a --classpath entry that does not exist)"})
    static final class Flows implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ClasspathOption classpath = new ClasspathOption();

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            classpath.catalog().listed().values()
                    .forEach(f -> out.printf("%-16s %s%n", f.name(), f.description()));
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Runs a flow on an instance; a re-run recomputes only what changed.",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:the run succeeded", "1:the run failed, or could not start",
                    "2:the command line is wrong: an unknown option, flow, instance or store, an unusable path",
                    "130:cancelled by SIGINT (Ctrl-C)", "143:cancelled by SIGTERM"})
    static final class Run implements Callable<Integer> {
        /** How long the summary waits for the progress display to show the run's end. */
        private static final java.time.Duration PROGRESS_END = java.time.Duration.ofSeconds(2);
        /** How long --report-html waits for the run's last events to reach its timeline. */
        private static final java.time.Duration REPORT_EVENTS_TIMEOUT = java.time.Duration.ofSeconds(5);
        private static final Pattern PARAM_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*(\\.[A-Za-z_][A-Za-z0-9_-]*)*");

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ClasspathOption classpath = new ClasspathOption();

        @CommandLine.Mixin
        InstanceOptions target = new InstanceOptions();

        @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter of the flow, repeatable:"
                + " it sets the instance's attrs KEY (a task reads ctx.attrs().getString(KEY)), over the"
                + " configuration's; attrs are part of every Java task's cache key, so a changed value reruns them.")
        Map<String, String> params = new LinkedHashMap<>();

        @Parameters(index = "0", description = "The flow (see `weir flows`).")
        String flow;

        @Option(names = "--cache-validation", description = "normal, assert-no-fresh-input, ignore-fresh-input,"
                + " force-fresh-input or force-cache-invalid.")
        String cacheValidation;

        @Option(names = "--report", description = "Write the JSON run report to this file.")
        Path report;

        @Option(names = "--graph", description = "Write the flow, with each task's state, as a Mermaid diagram.")
        Path graph;

        @Option(names = "--only", split = ",", description = "Run only these stages or tasks (comma-separated).")
        List<String> only = List.of();

        @Option(names = "--no-progress", description = "One line per task even on a terminal, instead of the live"
                + " progress bar (so do TERM=dumb, WEIR_NO_PROGRESS and CI=true).")
        boolean noProgress;

        @Option(names = "--report-html", paramLabel = "FILE", description = "Write the run as one HTML page that"
                + " opens offline: the graph with each task's state, a timeline, each task's reason, rows and chunks.")
        Path reportHtml;

        @Option(names = "--cluster", description = "Be the coordinator of a cluster: batched tasks' chunks, and the"
                + " calls of streaming graphs a flow names, run on worker nodes (`weir node --seed HOST:PORT`) that join at --cluster-hostname:--cluster-port; the"
                + " instance needs a shared store (PostgreSQL).")
        boolean cluster;

        @Option(names = "--cluster-hostname", description = "With --cluster: the address workers reach this node at."
                + " Default: 127.0.0.1.")
        String clusterHostname = "127.0.0.1";

        @Option(names = "--cluster-port", description = "With --cluster: this node's port. Default: 25520.")
        int clusterPort = 25520;

        @Option(names = "--cluster-side-channel-port", description = "With --cluster: the port of this node's Arrow"
                + " side channel, which workers pull streaming calls' batches and inlined rows from; 0 picks a free"
                + " one. Default: weir.cluster.side-channel.port of --node-config, else 0.")
        Integer clusterSideChannelPort;

        @CommandLine.Mixin
        NodeOptions clusterNode = new NodeOptions();


        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            FlowCatalog catalog = classpath.catalog();
            NamedFlow example = catalog.require(flow);
            Config paramAttrs = paramAttrs(params);
            CacheValidation.Mode mode = cacheValidationMode(cacheValidation);
            checkWritable("--report", report);
            checkWritable("--graph", graph);
            checkWritable("--report-html", reportHtml);
            WeirConfig weirConfig = target.loadConfig();
            weirConfig.warnings().forEach(w -> err.println("warning: " + w));
            InstanceConfig resolved = target.resolve(weirConfig);
            InstanceConfig instanceConfig = params.isEmpty() ? resolved
                    : resolved.withAttrs(paramAttrs.withFallback(resolved.attrs()));
            UnaryOperator<String> mask = weirConfig.masking(instanceConfig);
            RunOptions options = RunOptions.defaults().only(only.toArray(String[]::new));
            if (mode != null) {
                options = options.cacheValidation(instanceConfig.cacheValidation().withMode(mode));
            }
            Flow built = example.create(weirConfig, instanceConfig);
            Map<String, Object> coordinatorKeys = new java.util.LinkedHashMap<>(Map.of("role", "coordinator",
                    "hostname", clusterHostname, "port", clusterPort, "seed-nodes", List.of(),
                    "exit-jvm-when-down", false));
            if (clusterSideChannelPort != null) {
                coordinatorKeys.put("side-channel.port", clusterSideChannelPort);
            }
            dev.weir.cluster.node.ClusterNode<Void> coordinator = cluster ? dev.weir.cluster.node.ClusterNode.start(
                    clusterNode.settings(coordinatorKeys),
                    org.apache.pekko.actor.typed.javadsl.Behaviors.<Void>empty()) : null;
            // streaming graphs' batches cross to the workers over an Arrow side channel, not in actor messages
            dev.weir.cluster.channel.ArrowChannel channel;
            try {
                channel = coordinator == null ? null : dev.weir.cluster.channel.ArrowChannel.start(coordinator.settings());
            } catch (RuntimeException e) {
                coordinator.close(); // e.g. its side channel's port is in use: says which key to change
                throw e;
            }
            dev.weir.cluster.ClusterPlacement placement = coordinator == null ? null
                    : dev.weir.cluster.ClusterPlacement.start(coordinator.system(), new CatalogFlows(catalog, weirConfig),
                            channel);
            if (placement != null) {
                options = options.chunkPlacement(placement);
                out.println("coordinator " + coordinator.address() + ": batched tasks' chunks and streaming graphs'"
                        + " calls run on worker nodes (weir node --seed " + clusterHostname + ":"
                        + coordinator.address().getPort().orElse(0) + "); Arrow side channel on port " + channel.port());
            }
            try (Weir weir = coordinator != null ? Weir.embedded(coordinator.system()) : Weir.start()) {
                RunProgress progress = RunProgress.forConsole(System.out, mask, noProgress);
                Signals signals = Signals.install();
                signals.cancelWhenParentEnds();
                RunTimeline timeline = new RunTimeline(); // for --report-html; sees what the progress display sees
                RunHandle handle = weir.submit(built, instanceConfig, options.listener(timeline.andThen(progress)));
                signals.cancelOnInterrupt(handle);
                try (Result result = handle.result().toCompletableFuture().join()) {
                    signals.restore();
                    out.flush();
                    if (signals.received() != null && result.failure().orElse(null) instanceof RunCancelledException) {
                        progress.awaitEnd(PROGRESS_END); // its last lines first
                        System.out.println("CANCELLED " + result.flow() + "/" + result.instance() + " by "
                                + signals.received().name() + ": running tasks interrupted, open stages rolled back,"
                                + " instance lock released");
                        return signals.received().exitCode();
                    }
                    progress.awaitEnd(PROGRESS_END); // its last lines (or the bar's end) before the summary
                    if (report != null) {
                        Files.writeString(report, mask.apply(result.toJson()));
                    }
                    if (graph != null) {
                        Files.writeString(graph, dev.weir.engine.FlowDiagram.mermaid(built, result));
                    }
                    if (reportHtml != null) {
                        timeline.awaitFinished(REPORT_EVENTS_TIMEOUT); // the last events may trail the result
                        Files.writeString(reportHtml, HtmlReport.run(built, result, timeline, mask));
                    }
                    if (result.successful()) {
                        example.show(result, instanceConfig, System.out);
                    }
                    System.out.flush();
                    out.println(result.summary());
                    if (!result.successful()) {
                        err.println(RunErrors.describe(result.failure().orElseGet(() -> new IllegalStateException(
                                "the run of " + flow + " on " + target.instance + " failed without saying why")), mask));
                        return RUN_FAILED;
                    }
                    return 0;
                }
            } catch (RuntimeException e) {
                // the run could not start or finish: say why with this instance's secrets masked
                err.println(RunErrors.describe(e, mask));
                return RUN_FAILED;
            } finally {
                if (coordinator != null) {
                    placement.close();
                    coordinator.close();
                    channel.close();
                }
            }
        }

        /** The --cache-validation mode, or null when not given. */
        static CacheValidation.Mode cacheValidationMode(String name) {
            return name == null ? null : CacheValidation.Mode.parse(name).orElseThrow(() -> new UsageError(
                    "--cache-validation: '" + name + "' is not one of normal, assert-no-fresh-input,"
                            + " ignore-fresh-input, force-fresh-input, force-cache-invalid"));
        }

        /** The --param pairs as attrs; a key is one or more names joined by dots. */
        static Config paramAttrs(Map<String, String> params) {
            for (String key : params.keySet()) {
                if (!PARAM_KEY.matcher(key).matches()) {
                    throw new UsageError("--param " + key + "=...: '" + key + "' is not a parameter name: names of"
                            + " letters, digits, '_' and '-', starting with a letter or '_', joined by '.'");
                }
            }
            return ConfigFactory.parseMap(params, "--param");
        }

        /**
         * Fails before the run when {@code file} cannot be written: its directory cannot be created, it is
         * a directory, or opening it for writing fails. Leaves no file behind that was not there.
         */
        static void checkWritable(String option, Path file) {
            if (file == null) {
                return;
            }
            Path absolute = file.toAbsolutePath();
            if (Files.isDirectory(absolute)) {
                throw new UsageError(option + " " + file + ": cannot write " + absolute + ": it is a directory;"
                        + " name a file");
            }
            Path parent = absolute.getParent();
            try {
                if (parent != null) {
                    Files.createDirectories(parent);
                }
            } catch (IOException e) {
                throw new UsageError(option + " " + file + ": cannot create the directory " + parent + ": "
                        + RunErrors.reason(e), e);
            }
            boolean existed = Files.exists(absolute);
            try (var channel = Files.newByteChannel(absolute, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                // opened for writing: the run's output can go there
            } catch (IOException e) {
                throw new UsageError(option + " " + file + ": cannot write " + absolute + ": " + RunErrors.reason(e),
                        e);
            }
            if (!existed) {
                try {
                    Files.deleteIfExists(absolute);
                } catch (IOException e) {
                    throw new UsageError(option + " " + file + ": cannot remove the probe file " + absolute + ": "
                            + RunErrors.reason(e), e);
                }
            }
        }
    }
}
