package dev.weir.benchmarks;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.stores.postgres.PostgresStoreFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The PostgreSQL server a benchmark runs against, named by the libpq variables ({@code PGHOST},
 * {@code PGPORT}, {@code PGUSER}, {@code PGPASSWORD}, {@code PGDATABASE}) as the store and {@code psql}
 * both read them. Each benchmark run works under schema prefixes of its own ({@link #newPrefix}) and
 * drops them with {@link #dropPrefixes}.
 */
final class PgBenchServer {

    private final Map<String, String> env = System.getenv();
    private final Path workDir;
    private final List<String> prefixes = new ArrayList<>();

    PgBenchServer(Path workDir) {
        this.workDir = workDir;
    }

    /** A schema prefix no other run uses, remembered for {@link #dropPrefixes}. */
    String newPrefix(String what) {
        String prefix = "wb" + UUID.randomUUID().toString().substring(0, 8) + "_" + what + "_";
        prefixes.add(prefix);
        return prefix;
    }

    /** Settings of a {@code postgres} store under {@code schemaPrefix}, connected through the PG* variables. */
    StoreSettings settings(String instance, String schemaPrefix) {
        return new StoreSettings(instance, instance, "postgres", "postgres",
                ConfigFactory.parseMap(Map.of("schema_prefix", schemaPrefix), "benchmark"),
                workDir.resolve(instance), "benchmark instance '" + instance + "'");
    }

    /** Opens and initializes a store, as the engine would. */
    TableStore open(StoreSettings settings) {
        TableStore store = new PostgresStoreFactory().open(settings);
        store.init();
        return store;
    }

    /** A plain JDBC connection, for DDL behind the store's back. */
    Connection connection() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), credentials());
    }

    /** The server's JDBC URL, without credentials. */
    String jdbcUrl() {
        return "jdbc:postgresql://" + env.getOrDefault("PGHOST", "localhost") + ":" + env.getOrDefault("PGPORT", "5432")
                + "/" + env.getOrDefault("PGDATABASE", user());
    }

    /** {@code user} and, when set, {@code password}, as JDBC connection properties. */
    Properties credentials() {
        Properties properties = new Properties();
        properties.setProperty("user", user());
        if (env.get("PGPASSWORD") != null) {
            properties.setProperty("password", env.get("PGPASSWORD"));
        }
        return properties;
    }

    private String user() {
        return env.getOrDefault("PGUSER", System.getProperty("user.name"));
    }

    /** {@code server_version}, and the settings that decide COPY speed, for the report. */
    String describe() throws SQLException {
        StringBuilder text = new StringBuilder();
        try (Connection c = connection(); Statement s = c.createStatement()) {
            for (String setting : List.of("server_version", "wal_level", "synchronous_commit", "shared_buffers",
                    "max_wal_size")) {
                try (ResultSet rs = s.executeQuery("SHOW " + setting)) {
                    rs.next();
                    text.append(text.length() == 0 ? "" : ", ").append(setting).append('=').append(rs.getString(1));
                }
            }
        }
        return text.toString();
    }

    /**
     * Runs {@code psql -X -q -v ON_ERROR_STOP=1 -c command} with this process's environment and
     * returns its standard output; fails with psql's output when it exits non-zero.
     */
    String psql(String command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", command)
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0) {
            throw new IllegalStateException("psql -c " + command + " exited with " + exit + ": " + output.strip());
        }
        return output;
    }

    /**
     * Asks for a checkpoint so that every timed load starts with the same amount of dirty WAL; a user
     * without the right to checkpoint (superuser or pg_checkpoint) gets no checkpoint, and the
     * benchmark says so once.
     */
    boolean checkpoint() {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    /** Drops every schema under the prefixes handed out, and their cache metadata. */
    void dropPrefixes() throws SQLException {
        try (Connection c = connection(); Statement s = c.createStatement()) {
            for (String prefix : prefixes) {
                List<String> schemas = new ArrayList<>();
                try (ResultSet rs = s.executeQuery(
                        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '" + prefix + "')")) {
                    while (rs.next()) {
                        schemas.add(rs.getString(1));
                    }
                }
                for (String schema : schemas) {
                    s.execute("DROP SCHEMA \"" + schema + "\" CASCADE");
                }
                if (metadataExists(s)) {
                    s.execute("DELETE FROM weir_metadata.tasks WHERE starts_with(schema_name, '" + prefix + "')");
                    s.execute("DELETE FROM weir_metadata.stages WHERE starts_with(schema_name, '" + prefix + "')");
                }
            }
        }
    }

    private static boolean metadataExists(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('weir_metadata.tasks') IS NOT NULL")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}
