package dev.weir.engine.config;

import java.nio.file.Path;
import java.util.Map;

/** Small configurations written inline, loaded with a fixed environment and user. */
final class Configs {

    private Configs() {
    }

    static WeirConfig.Loader loader(Map<String, String> environment) {
        return WeirConfig.loader()
                .environment(environment)
                .userName("alice")
                .workingDirectory(Path.of("/work/project"))
                .availableProcessors(4);
    }

    static WeirConfig yaml(String text) {
        return yaml(text, Map.of());
    }

    static WeirConfig yaml(String text, Map<String, String> environment) {
        return loader(environment).parseString(text, WeirConfig.Syntax.YAML, "weir.yaml");
    }

    static WeirConfig hocon(String text) {
        return loader(Map.of()).parseString(text, WeirConfig.Syntax.HOCON, "weir.conf");
    }

    /** A minimal valid configuration with one DuckDB connection, followed by {@code extra} YAML. */
    static String duckdb(String extra) {
        return """
                name: shop
                table_store_connections:
                  duckdb:
                    args:
                      url: "duckdb:////tmp/weir/{instance_id}.duckdb"
                """ + extra;
    }
}
