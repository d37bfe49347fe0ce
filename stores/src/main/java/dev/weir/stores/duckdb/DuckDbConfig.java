package dev.weir.stores.duckdb;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.weir.engine.config.StoreUrls;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The validated arguments of a DuckDB table store, read once from {@link StoreSettings#args()}.
 *
 * <p>Keys: {@code path} (the database file, absolute or relative to the instance's work
 * directory, or {@code :memory:}), or instead a pipedag-style {@code url}
 * ({@code duckdb:////abs/file.duckdb}, {@code duckdb:///relative.duckdb}); {@code schema_prefix},
 * {@code schema_suffix}; {@code threads} and {@code memory_limit}, passed to DuckDB.
 *
 * @param databaseFile the absolute, normalized database file, or empty for an in-memory database
 * @param schemaPrefix prepended to every stage schema
 * @param schemaSuffix appended to every stage schema
 * @param threads      DuckDB's worker threads, or empty for DuckDB's default
 * @param memoryLimit  DuckDB's memory limit (e.g. {@code 4GB}, {@code 50%}), or empty
 * @param statementTimeout how long one statement may run before the JDBC driver interrupts it
 *                     ({@code statement_timeout}; whole seconds, at least one)
 */
public record DuckDbConfig(Optional<Path> databaseFile, String schemaPrefix, String schemaSuffix,
                           OptionalInt threads, Optional<String> memoryLimit, java.time.Duration statementTimeout) {

    /** The default {@code statement_timeout}, as in the engine's reference.conf. */
    static final java.time.Duration DEFAULT_STATEMENT_TIMEOUT = java.time.Duration.ofHours(1);

    /** Settings with the default statement timeout. */
    public DuckDbConfig(Optional<Path> databaseFile, String schemaPrefix, String schemaSuffix, OptionalInt threads,
                        Optional<String> memoryLimit) {
        this(databaseFile, schemaPrefix, schemaSuffix, threads, memoryLimit, DEFAULT_STATEMENT_TIMEOUT);
    }

    static final String MEMORY = ":memory:";
    private static final Pattern MEMORY_LIMIT = Pattern.compile(
            "\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB|%)?", Pattern.CASE_INSENSITIVE);

    public DuckDbConfig {
        databaseFile = databaseFile.map(p -> p.toAbsolutePath().normalize());
        if (schemaPrefix == null || schemaSuffix == null) {
            throw new IllegalArgumentException("schema prefix and suffix must not be null");
        }
        if (statementTimeout == null || statementTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("statement_timeout must be at least 1 second, was " + statementTimeout);
        }
        if (threads.isPresent() && threads.getAsInt() <= 0) {
            throw new IllegalArgumentException("threads must be positive, was " + threads.getAsInt());
        }
    }

    /** Reads and validates the settings; a bad value fails naming the key and the settings' origin. */
    public static DuckDbConfig from(StoreSettings settings) {
        Config args = settings.args();
        try {
            Optional<Path> file = databaseFile(settings);
            OptionalInt threads = OptionalInt.empty();
            if (args.hasPath("threads")) {
                int value = args.getInt("threads");
                if (value <= 0) {
                    throw invalid(settings, "threads", "a positive number of threads, was " + value);
                }
                threads = OptionalInt.of(value);
            }
            Optional<String> memoryLimit = Optional.empty();
            if (args.hasPath("memory_limit")) {
                String value = args.getString("memory_limit").trim();
                if (!MEMORY_LIMIT.matcher(value).matches()) {
                    throw invalid(settings, "memory_limit",
                            "a size such as 4GB, 512MiB or 50%, was '" + value + "'");
                }
                memoryLimit = Optional.of(value);
            }
            java.time.Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;
            if (args.hasPath("statement_timeout")) {
                statementTimeout = args.getDuration("statement_timeout");
                if (statementTimeout.toSeconds() < 1) {
                    throw invalid(settings, "statement_timeout", "a duration of at least one second (DuckDB's"
                            + " JDBC query timeout counts whole seconds), was " + statementTimeout);
                }
            }
            return new DuckDbConfig(file, settings.schemaPrefix(), settings.schemaSuffix(), threads,
                    memoryLimit, statementTimeout);
        } catch (ConfigException.WrongType e) {
            throw new StoreException("Invalid setting of " + settings + ": " + e.getMessage(), e);
        }
    }

    private static Optional<Path> databaseFile(StoreSettings settings) {
        Config args = settings.args();
        boolean hasPath = args.hasPath("path");
        boolean hasUrl = args.hasPath("url");
        String location;
        if (hasUrl) {
            String url = args.getString("url");
            location = StoreUrls.duckdbFile(url).orElseThrow(() -> invalid(settings, "url",
                    "a DuckDB url such as duckdb:////var/weir/mini.duckdb (absolute) or "
                            + "duckdb:///mini.duckdb (relative to the work directory)"));
            // the configuration adds the url's file as path: only a path naming another file is a contradiction
            if (hasPath && !args.getString("path").equals(location)) {
                throw invalid(settings, "path", "either 'path' or 'url', not both: path " + args.getString("path")
                        + " and url " + url + " name different database files");
            }
        } else if (hasPath) {
            location = args.getString("path");
        } else {
            return Optional.of(settings.workDir().resolve(settings.instanceId() + ".duckdb"));
        }
        if (location.isBlank()) {
            throw invalid(settings, hasUrl ? "url" : "path", "a database file or :memory:, was empty");
        }
        if (location.equals(MEMORY)) {
            return Optional.empty();
        }
        return Optional.of(settings.workDir().resolve(location));
    }

    private static StoreException invalid(StoreSettings settings, String key, String expected) {
        return StoreException.of("Invalid setting '" + key + "' of " + settings + ": expected " + expected);
    }

    /** The JDBC url of this database. */
    String jdbcUrl() {
        return "jdbc:duckdb:" + databaseFile.map(Path::toString).orElse("");
    }

    /**
     * DuckDB options given at open. Every store opening one file must pass the same options:
     * DuckDB shares one database per file within a process and refuses a differing configuration.
     */
    Properties jdbcProperties() {
        Properties properties = new Properties();
        // Results stream in DuckDB's chunks as they are read, instead of being materialized whole in native
        // memory before the first row (the JDBC driver's default): a scan of a large table holds a few
        // chunks, not the table. Every reader has a connection of its own (DuckDbArrowIo.query).
        properties.setProperty(org.duckdb.DuckDBDriver.JDBC_STREAM_RESULTS, "true");
        threads.ifPresent(t -> properties.setProperty("threads", Integer.toString(t)));
        memoryLimit.ifPresent(m -> properties.setProperty("memory_limit", m));
        return properties;
    }

    /** The database file, or {@code :memory:}, for messages. */
    String describeLocation() {
        return databaseFile.map(Path::toString).orElse(MEMORY);
    }
}
