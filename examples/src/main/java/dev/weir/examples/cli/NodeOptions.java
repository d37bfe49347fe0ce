package dev.weir.examples.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.weir.cluster.node.NodeSettings;
import dev.weir.engine.config.ConfigError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * How {@code weir node} and {@code weir run --cluster} configure their cluster node: the
 * {@code weir.cluster} block of {@code --node-config FILE} (TLS key and trust stores, failure detection;
 * see the repository's {@code application.conf}), under the node's own options from the command line.
 * Without a file, the node talks TLS with the key and trust stores named by the {@code WEIR_CLUSTER_*}
 * environment variables, or plain TCP when {@code --transport tcp} says so (for a trusted network only; a
 * warning says so at start).
 */
final class NodeOptions {

    @Option(names = "--node-config", paramLabel = "FILE", description = "The node's cluster settings: the"
            + " weir.cluster block of this HOCON file (TLS stores, failure detection, ...).")
    Path nodeConfig;

    @Option(names = "--transport", description = "tls-tcp (mutual TLS, the default) or tcp (unauthenticated: a"
            + " trusted network only).")
    String transport;

    /**
     * The node's settings: the command line's values over {@code --node-config}'s over the defaults.
     *
     * @param overrides {@code weir.cluster} keys set by the command's own options
     */
    NodeSettings settings(Map<String, Object> overrides) {
        Config file = ConfigFactory.empty();
        String origin = "the command line";
        Path base = Path.of("").toAbsolutePath();
        if (nodeConfig != null) {
            if (!Files.isRegularFile(nodeConfig)) {
                throw new WeirCommand.UsageError("--node-config " + nodeConfig + ": " + (Files.isDirectory(nodeConfig)
                        ? "is a directory" : "no such file") + " (" + nodeConfig.toAbsolutePath() + ")");
            }
            try {
                file = ConfigFactory.parseFile(nodeConfig.toFile(), com.typesafe.config.ConfigParseOptions.defaults()
                        .setAllowMissing(false).setOriginDescription(nodeConfig.toString())).resolve();
            } catch (com.typesafe.config.ConfigException e) {
                // the parser quotes the text around an error, which may hold a password: give the line only
                int line = e.origin() == null ? -1 : e.origin().lineNumber();
                throw new WeirCommand.UsageError("--node-config " + nodeConfig + ": is not valid HOCON"
                        + (line > 0 ? " (line " + line + ")" : ""));
            }
            origin = nodeConfig + " and the command line";
            base = nodeConfig.toAbsolutePath().getParent();
        }
        Map<String, Object> values = new LinkedHashMap<>(overrides);
        if (transport != null) {
            values.put("transport", transport);
        }
        Config cli = ConfigFactory.empty();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object value = e.getValue() instanceof List<?> list ? list : e.getValue();
            cli = cli.withValue("weir.cluster." + e.getKey(), ConfigValueFactory.fromAnyRef(value));
        }
        try {
            return NodeSettings.fromConfig(cli.withFallback(file), origin, base, System.getenv());
        } catch (ConfigError | IllegalArgumentException e) {
            throw new WeirCommand.UsageError(e.getMessage(), e);
        }
    }
}
