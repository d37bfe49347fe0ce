package dev.weir.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.NamedFlow;
import dev.weir.engine.Result;
import dev.weir.engine.TaskState;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.testpostgres.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example flows end to end, as `weir run` runs them: on embedded DuckDB, and on PostgreSQL when a
 * server is reachable through the PG* variables (under CI=true it must be).
 */
class ExamplesTest {

    @TempDir
    Path dir;

    @Test
    void multiInstanceRunsFullThenMiniOnDuckDbAndReRunsFromTheCache() throws Exception {
        runMultiInstance(config(dir, "duckdb_t_"), "duckdb");
    }

    @Test
    void lazySqlRunsOnDuckDb() throws Exception {
        WeirConfig config = config(dir, "duckdb_t_");
        try (Weir weir = Weir.start()) {
            Result result = run(weir, Examples.named("lazy-sql").orElseThrow(), config, config.instance("mini"));
            assertEquals(4, result.count(TaskState.COMPLETED), result::toJson);
        }
    }

    @Test
    void inlineChainRunsOnDuckDbAndItsSummaryIsTheOnlyTableWritten() throws Exception {
        WeirConfig config = config(dir, "duckdb_t_");
        try (Weir weir = Weir.start()) {
            Result result = run(weir, Examples.named("inline").orElseThrow(), config, config.instance("mini"));
            assertEquals(4, result.count(TaskState.COMPLETED), result::toJson);
            assertTrue(result.get(new dev.weir.engine.Ref("sensors", "summary", "summary"), String.class)
                    .contains("summary"));
            result.close();
        }
    }

    @Test
    void batchedAndStreamingExamplesRunOnDuckDbAndReRunFromTheCache() throws Exception {
        WeirConfig config = config(dir, "duckdb_t_");
        try (Weir weir = Weir.start()) {
            for (String name : List.of("batched", "streaming")) {
                NamedFlow example = Examples.named(name).orElseThrow();
                Result first = run(weir, example, config, config.instance("mini"));
                assertTrue(first.count(TaskState.COMPLETED) >= 1, first::toJson);
                Result again = run(weir, Examples.named(name).orElseThrow(), config, config.instance("mini"));
                assertEquals(0, again.count(TaskState.COMPLETED), again::toJson);
            }
        }
    }

    @Test
    void combinedMigratesInOneTaskAndReRunsFromTheCache() throws Exception {
        WeirConfig config = config(dir, "duckdb_t_");
        NamedFlow example = Examples.named("combined").orElseThrow();
        try (Weir weir = Weir.start()) {
            Result first = run(weir, example, config, config.instance("mini"));
            assertEquals(TaskState.COMPLETED, first.state("migrate_orders"), first::toJson);
            Result again = run(weir, example, config, config.instance("mini"));
            assertEquals(2, again.count(TaskState.CACHE_VALID), again::toJson);
        }
    }

    @Test
    void multiInstanceRunsOnPostgres() throws Exception {
        String prefix = "ex" + UUID.randomUUID().toString().substring(0, 6) + "_";
        TestPostgres.Server server = TestPostgres.require();
        try {
            runMultiInstance(config(dir, prefix, server), "postgres");
        } finally {
            dropSchemas(server, prefix);
        }
    }

    private static void runMultiInstance(WeirConfig config, String tableStore) throws Exception {
        NamedFlow example = Examples.named("multi-instance").orElseThrow();
        try (Weir weir = Weir.start()) {
            InstanceConfig full = config.instance("full", false, tableStore);
            InstanceConfig mini = config.instance("mini", false, tableStore);
            Result fullRun = run(weir, example, config, full);
            assertEquals(4, fullRun.count(TaskState.COMPLETED), fullRun::toJson);
            Result miniRun = run(weir, example, config, mini);
            assertEquals(TaskState.COMPLETED, miniRun.state("copy_filtered_inputs"));
            Result again = run(weir, example, config, mini);
            assertEquals(4, again.count(TaskState.CACHE_VALID), again::toJson);
        }
    }

    private static Result run(Weir weir, NamedFlow example, WeirConfig config, InstanceConfig instance) {
        Result result = weir.run(example.create(config, instance), instance).toCompletableFuture().join();
        assertTrue(result.successful(), result::toJson);
        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        example.show(result, instance, new PrintStream(shown, true, StandardCharsets.UTF_8));
        assertTrue(shown.size() > 0);
        return result;
    }

    /** The examples' configuration, with its files under {@code dir} and schemas under {@code prefix}. */
    private static WeirConfig config(Path dir, String prefix) throws IOException {
        return config(dir, prefix, null);
    }

    /** The examples' configuration; its {@code postgres} connection on {@code server} when given. */
    private static WeirConfig config(Path dir, String prefix, TestPostgres.Server server) throws IOException {
        String text;
        try (InputStream in = ExamplesTest.class.getResourceAsStream("/weir-examples.yaml")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (server != null) {
            String args = "    kind: postgres\n    args:\n";
            assertTrue(text.contains(args), "the examples' postgres connection has moved:\n" + text);
            text = text.replace(args, args + "      host: \"" + server.host() + "\"\n      port: " + server.port()
                    + "\n      database: \"" + server.database() + "\"\n      user: \"" + server.user() + "\"\n"
                    + (server.password() == null ? "" : "      password: \"" + server.password() + "\"\n"));
        }
        return WeirConfig.loader().workingDirectory(dir)
                .parseString(text.replace("\"{instance_id}_\"", "\"" + prefix + "{instance_id}_\"")
                                .replace(".weir/", dir.resolve(".weir").toString() + "/"),
                        WeirConfig.Syntax.YAML, "weir-examples.yaml");
    }

    private static void dropSchemas(TestPostgres.Server server, String prefix) throws SQLException {
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '"
                    + prefix + "')")) {
                while (rs.next()) {
                    schemas.add(rs.getString(1));
                }
            }
            for (String schema : schemas) {
                s.execute("DROP SCHEMA \"" + schema.replace("\"", "\"\"") + "\" CASCADE");
            }
            s.execute("DELETE FROM weir_metadata.tasks WHERE starts_with(schema_name, '" + prefix + "')");
            s.execute("DELETE FROM weir_metadata.stages WHERE starts_with(schema_name, '" + prefix + "')");
        }
    }
}
