package dev.weir.examples.cli;

import dev.weir.engine.NamedFlow;
import dev.weir.engine.PlanReport;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.WeirConfig;
import com.typesafe.config.Config;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weir plan}: what {@code weir run} would do, each task with its decision and reason, writing nothing. */
@Command(name = "plan", mixinStandardHelpOptions = true, description = "Shows what a run would do, without running or writing anything: each task"
        + " with run, cache hit, resumed, not selected or decided when inputs are ready, and why.")
final class PlanCommand implements Callable<Integer> {

    /** How long planning may take: cache functions and lazy task functions run, and the store is read. */
    private static final long TIMEOUT_SECONDS = 300;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "The flow (see `weir flows`).")
    String flow;

    @Option(names = "--cache-validation", description = "normal, assert-no-fresh-input, ignore-fresh-input,"
            + " force-fresh-input or force-cache-invalid.")
    String cacheValidation;

    @Option(names = "--only", split = ",", description = "Plan a run of only these stages or tasks (comma-separated).")
    List<String> only = List.of();

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @CommandLine.Mixin
    InstanceOptions target = new InstanceOptions();

    @Option(names = "--param", paramLabel = "KEY=VALUE", description = "A parameter of the flow, repeatable, as for"
            + " `weir run`: it sets the instance's attrs KEY over the configuration's.")
    Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print the plan as JSON, for scripts.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        FlowCatalog catalog = classpath.catalog();
        NamedFlow example = catalog.require(flow);
        CacheValidation.Mode mode = WeirCommand.Run.cacheValidationMode(cacheValidation);
        // the configuration, instance and parameters exactly as `weir run` reads them
        Config paramAttrs = WeirCommand.Run.paramAttrs(params);
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
        try (Weir weir = Weir.start()) {
            PlanReport plan = weir.plan(example.create(weirConfig, instanceConfig), instanceConfig, options)
                    .toCompletableFuture().orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).join();
            out.print(mask.apply(json ? plan.toJson() + System.lineSeparator() : plan.toText()));
            out.flush();
            return 0;
        } catch (RuntimeException e) {
            err.println(RunErrors.describe(e, mask));
            return WeirCommand.RUN_FAILED;
        }
    }
}
