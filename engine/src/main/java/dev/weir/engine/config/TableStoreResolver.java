package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Resolves one table store connection for one instance into {@link StoreSettings}: the
 * connection's {@code args} under the instance's {@code table_store.args}, secrets from
 * {@code url_attrs_file} and placeholders substituted, the store kind chosen or inferred from the
 * url, and the url's parts added as {@code path} (DuckDB) or {@code host}, {@code port},
 * {@code database}, {@code user}, {@code password} (PostgreSQL). Used for a single resolution.
 */
final class TableStoreResolver {

    /** The connection name given to a {@code table_store} section that names no connection. */
    static final String INLINE_CONNECTION = "table_store";

    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_-]*");
    /** Keys that say where the data lives: not carried to the instance's other connections. */
    private static final Set<String> LOCATION_ARGS = Set.of("url", "url_attrs_file", "path");

    private final String file;
    private final Config root;
    private final LayeredConfig instance;
    private final Placeholders placeholders;
    private final Secrets secrets;
    private final Path configDir;

    TableStoreResolver(String file, Config root, LayeredConfig instance, Placeholders placeholders, Secrets secrets,
            Path configDir) {
        this.file = file;
        this.root = root;
        this.instance = instance;
        this.placeholders = placeholders;
        this.secrets = secrets;
        this.configDir = configDir;
    }

    /**
     * The settings of one connection.
     *
     * @param connection   a key of {@code table_store_connections}, or {@link #INLINE_CONNECTION}
     * @param selected     whether this is the instance's own connection (then its {@code kind} and
     *                     location arguments apply too)
     * @param instanceName for the settings' origin
     */
    StoreSettings resolve(String connection, boolean selected, String instanceName, String instanceId,
            Path workDir) {
        boolean inline = connection.equals(INLINE_CONNECTION) && !connections().containsKey(connection);
        String connectionKey = inline ? instance.keyOf("table_store") : "table_store_connections." + connection;
        Config connectionSection = connections().get(connection) instanceof ConfigObject object && !inline
                ? object.toConfig() : ConfigFactory.empty();
        Config connectionArgs = objectAt(connectionSection, "args", connectionKey + ".args");
        Config instanceArgs = objectAt(instance.config(), "table_store.args", instance.keyOf("table_store.args"));
        if (!selected) {
            for (String key : LOCATION_ARGS) {
                instanceArgs = instanceArgs.withoutPath(key);
            }
        }
        Config storeArgs = instanceArgs;
        UnaryOperator<String> keyOf = path -> storeArgs.hasPathOrNull(path)
                ? instance.keyOf("table_store.args." + path)
                : connectionKey + ".args." + path;

        Config args = instanceArgs.withFallback(connectionArgs);
        for (String key : ConfigSchema.TABLE_ARGS_PYTHON) {
            args = args.withoutPath(key);
        }
        Placeholders names = placeholders;
        if (args.hasPath("url_attrs_file")) {
            names = placeholders.with(readUrlAttrs(keyOf.apply("url_attrs_file"), args.getValue("url_attrs_file")),
                    true);
            args = args.withoutPath("url_attrs_file");
        }
        args = names.applyAll(args, keyOf, true);

        String kind = kind(connection, connectionKey, connectionSection, selected, args, keyOf);
        args = withUrlParts(kind, args);
        String origin = file + ": " + (selected ? "instances." + instanceName + ".table_store" : connectionKey);
        return new StoreSettings(instanceName, instanceId, connection, kind, args, workDir, origin);
    }

    /** The configured connections, by name; empty when there are none. */
    ConfigObject connections() {
        return root.hasPath("table_store_connections") ? root.getObject("table_store_connections")
                : ConfigFactory.empty().root();
    }

    private String kind(String connection, String connectionKey, Config connectionSection, boolean selected,
            Config args, UnaryOperator<String> keyOf) {
        // A kind written next to the table_store_connection choice (or more specifically) wins over
        // the connection's own kind; a kind inherited from a less specific layer would otherwise
        // leak onto a connection the instance switched to.
        if (selected && instance.has("table_store.kind")
                && instance.rank("table_store.kind") <= instance.rank("table_store.table_store_connection")) {
            return checkedKind(instance.keyOf("table_store.kind"),
                    placeholders.apply(instance.keyOf("table_store.kind"), instance.string("table_store.kind"), true));
        }
        if (connectionSection.hasPath("kind")) {
            return checkedKind(connectionKey + ".kind", connectionSection.getValue("kind").unwrapped().toString());
        }
        if (!args.hasPath("url")) {
            throw ConfigError.at(file, connectionKey, "has neither 'kind' nor 'args.url'; set kind: duckdb or kind:"
                    + " postgres, or a url such as duckdb:////tmp/weir/{instance_id}.duckdb or"
                    + " postgresql://user@localhost:5432/weir");
        }
        String url = args.getValue("url").unwrapped().toString();
        Optional<String> inferred = StoreUrls.kindOf(url);
        return inferred.orElseThrow(() -> new ConfigError(file, keyOf.apply("url"), secrets.mask("url", url),
                "a url starting with duckdb: or postgresql: (also postgres:, jdbc:postgresql:), or an explicit"
                        + " kind on the connection"));
    }

    private String checkedKind(String key, String kind) {
        if (!KIND.matcher(kind).matches()) {
            throw new ConfigError(file, key, kind, "a store kind such as duckdb or postgres (lower case letters,"
                    + " digits, '-' and '_')");
        }
        return kind;
    }

    /** The url's parts as arguments, unless the connection sets them itself. */
    private Config withUrlParts(String kind, Config args) {
        if (!args.hasPath("url")) {
            return args;
        }
        Map<String, Object> parts = StoreUrls.argsOf(kind, args.getValue("url").unwrapped().toString());
        Config result = args;
        for (Map.Entry<String, Object> part : parts.entrySet()) {
            if (!result.hasPathOrNull(part.getKey())) {
                result = result.withValue(part.getKey(), ConfigValueFactory.fromAnyRef(part.getValue()));
            }
        }
        if (parts.get("password") instanceof String password) {
            secrets.add(password);
        }
        return result;
    }

    /** The flat key-value map of a {@code url_attrs_file}, every value a secret. */
    private Map<String, String> readUrlAttrs(String key, ConfigValue pathValue) {
        if (pathValue.valueType() != ConfigValueType.STRING) {
            throw new ConfigError(file, key, String.valueOf(pathValue.unwrapped()), "a file path (text)");
        }
        String text = placeholders.apply(key, (String) pathValue.unwrapped(), true);
        Path path = configDir.resolve(text);
        return UrlAttrsFile.read(path, file, key);
    }

    private Config objectAt(Config config, String path, String key) {
        if (!config.hasPath(path)) {
            return ConfigFactory.empty();
        }
        ConfigValue value = config.getValue(path);
        if (!(value instanceof ConfigObject object)) {
            throw new ConfigError(file, key, secrets.mask(key, String.valueOf(value.unwrapped())),
                    "a section (a mapping of keys to values)");
        }
        return object.toConfig();
    }
}
