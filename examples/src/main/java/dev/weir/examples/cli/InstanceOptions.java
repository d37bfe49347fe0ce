package dev.weir.examples.cli;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options that name an instance of a pipeline configuration, shared by {@code run}, {@code plan}
 * and {@code status} (a picocli mixin), and how they are read: each command resolves its instance the
 * same way, with the same usage errors.
 */
final class InstanceOptions {

    @Option(names = "--instance", required = true, description = "The instance: full, midi, mini, ...")
    String instance;

    @Option(names = "--config", description = "The pipeline configuration (.yaml, .yml or .conf);"
            + " default: weir.yaml, weir.yml, weir.conf or pipedag.yaml in the working directory, else the examples'"
            + " configuration.")
    Path config;

    @Option(names = "--table-store", description = "One of the configured table store connections,"
            + " e.g. duckdb or postgres.")
    String tableStore;

    @Option(names = "--per-user", description = "The private copy of the instance (instance id + user name).")
    boolean perUser;

    /**
     * The files a pipeline configuration is found in, in the working directory, when --config is not given
     * (as pipedag finds its {@code pipedag.yaml}).
     */
    static final List<String> CONFIG_FILES = List.of("weir.yaml", "weir.yml", "weir.conf", "pipedag.yaml");

    /**
     * The configuration: --config, which must name a file, else the one of {@link #CONFIG_FILES} in the working
     * directory, else the examples' own.
     */
    WeirConfig loadConfig() {
        return load(config, Path.of("").toAbsolutePath());
    }

    /** {@link #loadConfig()} with {@code config} for --config, in {@code workingDirectory}. */
    static WeirConfig load(Path config, Path workingDirectory) {
        if (config == null) {
            List<Path> found = CONFIG_FILES.stream().map(workingDirectory::resolve).filter(Files::isRegularFile).toList();
            if (found.size() > 1) {
                throw new WeirCommand.UsageError("no --config, and " + workingDirectory + " holds several pipeline"
                        + " configurations: " + found.stream().map(f -> f.getFileName().toString()).toList()
                        + "; name one with --config");
            }
            return found.isEmpty() ? WeirConfig.fromResource(WeirCommand.DEFAULT_CONFIG)
                    : WeirConfig.load(found.get(0));
        }
        if (!Files.isRegularFile(config)) {
            throw new WeirCommand.UsageError("--config " + config + ": " + (Files.isDirectory(config)
                    ? "is a directory" : "no such file") + " (" + config.toAbsolutePath() + ")");
        }
        return WeirConfig.load(config);
    }

    /** The instance named by --instance, on the --table-store connection if given. */
    InstanceConfig resolve(WeirConfig weirConfig) {
        if (!weirConfig.instanceNames().contains(instance)) {
            throw new WeirCommand.UsageError("--instance " + instance + ": " + weirConfig.file()
                    + " has no instance '" + instance + "'; its instances are " + weirConfig.instanceNames());
        }
        if (tableStore == null) {
            return weirConfig.instance(instance, perUser);
        }
        if (!weirConfig.tableStoreConnectionNames().contains(tableStore)) {
            throw new WeirCommand.UsageError("--table-store " + tableStore + ": " + weirConfig.file()
                    + " has no table store connection '" + tableStore + "'; its table_store_connections are "
                    + weirConfig.tableStoreConnectionNames());
        }
        return weirConfig.instance(instance, perUser, tableStore);
    }
}
