package dev.weir.examples.cli;

import dev.weir.examples.Examples;
import java.nio.file.Path;
import java.util.List;

/**
 * One JVM's round of {@link ExamplesAcrossJvmsTest}: runs every example flow through the command line on
 * {@code mini} ({@code full} first for multi-instance, which samples it), with the configuration
 * {@code <configs>/<flow>.yaml}, each writing its JSON report to {@code <reports>/<round>-<flow>-<instance>.json}.
 * Exits with the first failing run's code.
 *
 * <p>Arguments: the configurations' directory, the reports directory, the round's name.
 */
public final class ExampleRound {

    private ExampleRound() {
    }

    /** The names of the built-in example flows (not those the tests register). */
    static List<String> builtIn() {
        return Examples.all().entrySet().stream()
                .filter(e -> e.getValue().getClass().getPackageName().equals(Examples.class.getPackageName()))
                .map(java.util.Map.Entry::getKey).toList();
    }

    public static void main(String[] args) {
        Path configs = Path.of(args[0]);
        Path reports = Path.of(args[1]);
        String round = args[2];
        for (String flow : builtIn()) {
            List<String> instances = flow.equals("multi-instance") ? List.of("full", "mini") : List.of("mini");
            for (String instance : instances) {
                int code = WeirCommand.execute("run", flow, "--instance", instance, "--config",
                        configs.resolve(flow + ".yaml").toString(),
                        "--report", reports.resolve(round + "-" + flow + "-" + instance + ".json").toString());
                if (code != 0) {
                    System.exit(code);
                }
            }
        }
        System.exit(0);
    }
}
