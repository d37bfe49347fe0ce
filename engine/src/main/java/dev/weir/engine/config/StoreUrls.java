package dev.weir.engine.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Connection URLs as pipedag (SQLAlchemy) and JDBC write them: which store kind a URL names, and
 * the store-friendly arguments it holds ({@code path} for DuckDB; {@code host}, {@code port},
 * {@code database}, {@code user}, {@code password} for PostgreSQL).
 */
public final class StoreUrls {

    static final String DUCKDB = "duckdb";
    static final String POSTGRES = "postgres";

    private StoreUrls() {
    }

    /** The kind named by the URL's scheme, e.g. {@code postgresql+psycopg2://…} is postgres. */
    static Optional<String> kindOf(String url) {
        String scheme = scheme(url);
        int plus = scheme.indexOf('+');
        if (plus >= 0) {
            scheme = scheme.substring(0, plus);
        }
        return switch (scheme) {
            case "duckdb" -> Optional.of(DUCKDB);
            case "postgresql", "postgres" -> Optional.of(POSTGRES);
            default -> Optional.empty();
        };
    }

    /** The arguments the URL holds for a store of the given kind; empty when it holds none we know. */
    static Map<String, Object> argsOf(String kind, String url) {
        return switch (kind) {
            case DUCKDB -> duckdbArgs(url);
            case POSTGRES -> postgresArgs(url);
            default -> Map.of();
        };
    }

    private static String scheme(String url) {
        String rest = stripJdbc(url);
        int colon = rest.indexOf(':');
        return colon < 0 ? "" : rest.substring(0, colon).toLowerCase(Locale.ROOT);
    }

    private static String stripJdbc(String url) {
        return url.regionMatches(true, 0, "jdbc:", 0, 5) ? url.substring(5) : url;
    }

    /** {@code duckdb:////tmp/x.duckdb} → {@code /tmp/x.duckdb}; {@code duckdb:///x.duckdb} → {@code x.duckdb}. */
    private static Map<String, Object> duckdbArgs(String url) {
        return duckdbFile(url).<Map<String, Object>>map(file -> Map.of("path", file)).orElse(Map.of());
    }

    /**
     * The database file a DuckDB url names, as pipedag writes it ({@code duckdb:////abs/x.duckdb}, {@code
     * duckdb:///relative.duckdb}) or DuckDB's JDBC driver does ({@code jdbc:duckdb:/abs/x.duckdb}); {@code :memory:}
     * when it names none; empty when {@code url} is not a DuckDB url. The DuckDB store reads its {@code url}
     * argument with it too, so that the configuration and the store agree on the file.
     */
    public static Optional<String> duckdbFile(String url) {
        if (!DUCKDB.equals(kindOf(url).orElse(null))) {
            return Optional.empty();
        }
        String rest = stripJdbc(url);
        rest = rest.substring(rest.indexOf(':') + 1);
        if (rest.startsWith("///")) {
            rest = rest.substring(3);
        } else if (rest.startsWith("//")) {
            rest = rest.substring(2);
        }
        int query = rest.indexOf('?');
        if (query >= 0) {
            rest = rest.substring(0, query);
        }
        return Optional.of(rest.isEmpty() ? ":memory:" : rest);
    }

    /** {@code postgresql://user:password@host:port/database?…}, user and password URL-decoded. */
    private static Map<String, Object> postgresArgs(String url) {
        String rest = stripJdbc(url);
        int slashes = rest.indexOf("://");
        if (slashes < 0) {
            return Map.of();
        }
        rest = rest.substring(slashes + 3);
        Map<String, Object> args = new LinkedHashMap<>();
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            putNonEmpty(args, "user", decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
            if (colon >= 0) {
                putNonEmpty(args, "password", decode(userInfo.substring(colon + 1)));
            }
        }
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        if (slash >= 0) {
            putNonEmpty(args, "database", decode(rest.substring(slash + 1)));
        }
        int portColon = hostPort.lastIndexOf(':');
        if (portColon > hostPort.lastIndexOf(']') && portColon >= 0) {
            String port = hostPort.substring(portColon + 1);
            hostPort = hostPort.substring(0, portColon);
            if (port.matches("\\d{1,5}")) {
                args.put("port", Integer.parseInt(port));
            }
        }
        putNonEmpty(args, "host", hostPort);
        if (query != null) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                if ((name.equals("user") || name.equals("password")) && eq >= 0) {
                    args.putIfAbsent(name, decode(pair.substring(eq + 1)));
                }
            }
        }
        return args;
    }

    private static void putNonEmpty(Map<String, Object> args, String key, String value) {
        if (!value.isEmpty()) {
            args.put(key, value);
        }
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text; // not percent-encoded after all; take it as written
        }
    }
}
