package dev.weir.stores.postgres;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.StoreSettings;
import dev.weir.testpostgres.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The PostgreSQL server of a test class: the one {@link TestPostgres} finds (the server of the libpq
 * variables, or else an embedded one started once per JVM), with a schema prefix of the class's own. Without
 * a server the tests are skipped saying why, except under {@code CI=true}, where that is a failure.
 *
 * <p>Test classes carry {@code @ExtendWith(PostgresTestServer.Required.class)} so that a missing server
 * shows as skipped tests in the report, and call {@link #require()} to connect.
 *
 * <p>Each test class gets its own schema prefix (and so its own instance), dropped by {@link #dropAll()}.
 */
final class PostgresTestServer {

    private final TestPostgres.Server server;
    private final Map<String, String> env;
    private final String prefix;

    private PostgresTestServer(TestPostgres.Server server, String prefix) {
        this.server = server;
        this.env = server.env();
        this.prefix = prefix;
    }

    /** The server, or an aborted (skipped) test when there is none and this is not CI. */
    static PostgresTestServer require() {
        return new PostgresTestServer(TestPostgres.require(), "w" + UUID.randomUUID().toString().substring(0, 8) + "_");
    }

    /** Skips a test class when there is no server, unless {@code CI=true} (then {@link #require()} fails it). */
    static final class Required implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if ("true".equals(System.getenv("CI"))) {
                return ConditionEvaluationResult.enabled("CI=true: a missing PostgreSQL server fails the tests");
            }
            TestPostgres.Lookup lookup = TestPostgres.lookup();
            return lookup.found() ? ConditionEvaluationResult.enabled("PostgreSQL: " + lookup.server())
                    : ConditionEvaluationResult.disabled(lookup.problem());
        }
    }

    /** A fresh instance prefix, for tests that need a second instance. */
    String newPrefix() {
        return "w" + UUID.randomUUID().toString().substring(0, 8) + "_";
    }

    String prefix() {
        return prefix;
    }

    Map<String, String> env() {
        return env;
    }

    /** Settings of an instance named {@code instance}, with this class's prefix and {@code extra} arguments. */
    StoreSettings settings(String instance, Map<String, Object> extra) {
        return settings(instance, prefix, extra);
    }

    StoreSettings settings(String instance, String schemaPrefix, Map<String, Object> extra) {
        Map<String, Object> args = new HashMap<>();
        args.put("schema_prefix", schemaPrefix);
        args.put("pool_size", 4);
        args.putAll(extra);
        return new StoreSettings(instance, instance + "_id", "postgres", "postgres",
                ConfigFactory.parseMap(args, "test"), Path.of("target", "weir-test"), "test settings of " + instance);
    }

    /** Opens a store for this class's instance, connected through the PG* variables set to the server. */
    PostgresTableStore open(String instance) {
        PostgresTableStore store = PostgresTableStore.open(settings(instance, Map.of()), env);
        store.init();
        return store;
    }

    /** A plain JDBC connection, for checks behind the store's back. */
    Connection connection() throws SQLException {
        return server.connect();
    }

    /** Drops every schema created under the prefixes of this class, and their metadata rows. */
    void dropAll(String... prefixes) throws SQLException {
        List<String> all = new ArrayList<>(List.of(prefixes));
        all.add(prefix);
        try (Connection c = connection(); Statement s = c.createStatement()) {
            for (String p : all) {
                List<String> schemas = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, '"
                        + p + "')")) {
                    while (rs.next()) {
                        schemas.add(rs.getString(1));
                    }
                }
                for (String schema : schemas) {
                    s.execute("DROP SCHEMA " + PgIdentifiers.quote(schema) + " CASCADE");
                }
                s.execute("DELETE FROM weir_metadata.tasks WHERE starts_with(schema_name, '" + p + "')");
                s.execute("DELETE FROM weir_metadata.stages WHERE starts_with(schema_name, '" + p + "')");
                s.execute("DELETE FROM weir_metadata.appends WHERE starts_with(schema_name, '" + p + "')");
            }
        }
    }
}
