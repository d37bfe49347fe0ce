package dev.weir.stores.postgres;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Where and as whom a PostgreSQL store connects, read once from a store's arguments.
 *
 * <p>Each value comes from the first of: its own key ({@code host}, {@code port}, {@code database},
 * {@code user}, {@code password}); the matching part of {@code url}, written either as pipedag
 * writes it ({@code postgresql://user:pass@host:port/db}) or as a JDBC URL
 * ({@code jdbc:postgresql://host:port/db}); the libpq environment variable ({@code PGHOST},
 * {@code PGPORT}, {@code PGDATABASE}, {@code PGUSER}, {@code PGPASSWORD}); the default
 * ({@code localhost}, {@code 5432}, database = user). Query parameters of the URL
 * ({@code ?sslmode=require}) become pgjdbc connection properties.
 *
 * <p>The password never leaves this record except to the driver: {@link #toString()} masks it.
 *
 * @param poolSize      the pool's size to start with: key {@code pool_size}, else {@value #DEFAULT_POOL_SIZE}
 * @param poolSizeFixed true when {@code pool_size} is set: the pool never grows, and a run that could
 *                      deadlock on it is refused; false: the pool grows to what each run needs
 * @param properties    extra pgjdbc connection properties from the URL's query string
 */
record PgConnectionSettings(String host, int port, String database, String user, String password, int poolSize,
                            boolean poolSizeFixed, Map<String, String> properties) {

    static final int DEFAULT_POOL_SIZE = 8;

    PgConnectionSettings {
        Objects.requireNonNull(host, "host is null");
        Objects.requireNonNull(database, "database is null");
        Objects.requireNonNull(user, "user is null");
        properties = Map.copyOf(properties);
        if (port <= 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 1 and 65535, was " + port);
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("pool_size must be at least 1, was " + poolSize);
        }
    }

    /** Reads the settings of {@code store}, falling back to {@code env} for absent keys. */
    static PgConnectionSettings from(StoreSettings store, Map<String, String> env) {
        Config args = store.args();
        UrlParts url = args.hasPath("url") ? UrlParts.parse(args.getString("url"), store) : UrlParts.NONE;
        String host = first(text(args, "host", store), url.host, env.get("PGHOST"), "localhost");
        String portText = first(text(args, "port", store), url.port, env.get("PGPORT"), "5432");
        String user = first(text(args, "user", store), url.user, env.get("PGUSER"), System.getProperty("user.name"));
        String password = first(text(args, "password", store), url.password, env.get("PGPASSWORD"), null);
        String database = first(text(args, "database", store), url.database, env.get("PGDATABASE"), user);
        String poolSetting = text(args, "pool_size", store);
        String poolText = first(poolSetting, String.valueOf(DEFAULT_POOL_SIZE));
        int port = parseInt("port", portText, store);
        int poolSize = parseInt("pool_size", poolText, store);
        try {
            return new PgConnectionSettings(host, port, database, user, password, poolSize, poolSetting != null,
                    url.properties);
        } catch (IllegalArgumentException e) {
            throw StoreException.of(store + ": " + e.getMessage());
        }
    }

    /** The JDBC URL, without user or password (they go to the driver as properties). */
    String jdbcUrl() {
        String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + hostPart + ":" + port + "/" + encodePathSegment(database);
    }

    /** {@code host:port/database} — what a user needs to find the server; no secrets. */
    String address() {
        return host + ":" + port + "/" + database;
    }

    /** True when the two settings point at the same database on the same server. */
    boolean sameDatabase(PgConnectionSettings other) {
        return host.equalsIgnoreCase(other.host) && port == other.port && database.equals(other.database);
    }

    @Override
    public String toString() {
        return "postgresql://" + user + (password == null ? "" : ":***") + "@" + address();
    }

    private static String text(Config args, String key, StoreSettings store) {
        if (!args.hasPath(key)) {
            return null;
        }
        try {
            return args.getString(key);
        } catch (ConfigException.WrongType e) {
            throw StoreException.of(store + ": key '" + key + "' must be a string or number");
        }
    }

    /**
     * A positive duration argument of {@code store} ({@code 10s}, {@code 200ms}; a bare number is
     * milliseconds), or {@code fallback} when absent.
     */
    static java.time.Duration duration(StoreSettings store, String key, java.time.Duration fallback) {
        Config args = store.args();
        if (!args.hasPath(key)) {
            return fallback;
        }
        java.time.Duration value;
        try {
            value = args.getDuration(key);
        } catch (ConfigException e) {
            throw StoreException.of(store + ": key '" + key + "' must be a duration such as 10s or 500ms, was '"
                    + args.getValue(key).unwrapped() + "'");
        }
        if (value.isNegative() || value.isZero()) {
            throw StoreException.of(store + ": key '" + key + "' must be positive, was " + value);
        }
        return value;
    }

    private static int parseInt(String key, String value, StoreSettings store) {
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw StoreException.of(store + ": key '" + key + "' must be a whole number, was '" + value + "'");
        }
    }

    private static String first(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null && !candidate.isEmpty()) {
                return candidate;
            }
        }
        return null;
    }

    /** The parts of a {@code url} argument; any part may be null. */
    private record UrlParts(String host, String port, String database, String user, String password,
                            Map<String, String> properties) {

        static final UrlParts NONE = new UrlParts(null, null, null, null, null, Map.of());

        static UrlParts parse(String url, StoreSettings store) {
            String text = url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url;
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw badUrl(url, store, "it is not a valid URL (" + e.getReason() + ")");
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme();
            if (!scheme.equals("postgresql") && !scheme.equals("postgres") && !scheme.startsWith("postgresql+")) {
                throw badUrl(url, store, "the scheme must be postgresql");
            }
            if (uri.getHost() == null) {
                throw badUrl(url, store, "it names no host (one host only; no unix sockets)");
            }
            String user = null;
            String password = null;
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                user = decode(parts[0]);
                password = parts.length > 1 ? decode(parts[1]) : null;
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            String database = path.length() > 1 ? decode(path.substring(1)) : null;
            Map<String, String> properties = new LinkedHashMap<>();
            if (uri.getRawQuery() != null) {
                for (String pair : uri.getRawQuery().split("&")) {
                    if (!pair.isEmpty()) {
                        String[] kv = pair.split("=", 2);
                        properties.put(decode(kv[0]), kv.length > 1 ? decode(kv[1]) : "");
                    }
                }
            }
            String port = uri.getPort() < 0 ? null : String.valueOf(uri.getPort());
            return new UrlParts(uri.getHost(), port, database, user, password, properties);
        }

        private static StoreException badUrl(String url, StoreSettings store, String why) {
            return StoreException.of(store + ": key 'url' = '" + maskPassword(url) + "' cannot be used: " + why
                    + ". Expected postgresql://user:password@host:5432/database or jdbc:postgresql://host:5432/database");
        }

        private static String decode(String text) {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        }
    }

    /**
     * {@code scheme://user:secret@host} becomes {@code scheme://user:***@host}. Everything up to the
     * last {@code @} is masked, so a password holding {@code /}, {@code :} or {@code @} stays hidden too.
     */
    static String maskPassword(String url) {
        return url.replaceAll("(://[^:/?#@]*):.*@", "$1:***@");
    }

    /** Percent-encodes a database name for the JDBC URL (pgjdbc decodes it again). */
    private static String encodePathSegment(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
