package dev.weir.engine.store;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Everything a table store needs to open one instance's tables.
 *
 * @param instanceName   the configured instance, e.g. {@code mini}
 * @param instanceId     the instance id that isolates this instance's data (schemas, files)
 * @param connectionName the configured table store connection, e.g. {@code duckdb} or {@code postgres}
 * @param kind           the store implementation, matched against {@link TableStoreFactory#kind()}
 * @param args           the connection's arguments, with {@code {instance_id}} and {@code {$ENV}}
 *                       already substituted; may hold secrets: never log it
 * @param workDir        a directory private to this instance for local files
 * @param origin         where these settings came from, for error messages (file and key)
 */
public record StoreSettings(
        String instanceName,
        String instanceId,
        String connectionName,
        String kind,
        Config args,
        Path workDir,
        String origin) {

    public StoreSettings {
        Objects.requireNonNull(instanceName, "instanceName is null");
        Objects.requireNonNull(instanceId, "instanceId is null");
        Objects.requireNonNull(connectionName, "connectionName is null");
        Objects.requireNonNull(kind, "kind is null");
        Objects.requireNonNull(args, "args is null");
        Objects.requireNonNull(workDir, "workDir is null");
        Objects.requireNonNull(origin, "origin is null");
    }

    /** The schema name prefix of this instance ({@code schema_prefix}), empty when unset. */
    public String schemaPrefix() {
        return args.hasPath("schema_prefix") ? args.getString("schema_prefix") : "";
    }

    /** The schema name suffix of this instance ({@code schema_suffix}), empty when unset. */
    public String schemaSuffix() {
        return args.hasPath("schema_suffix") ? args.getString("schema_suffix") : "";
    }

    /** A description safe for logs and errors: no arguments, so no secrets. */
    @Override
    public String toString() {
        return kind + " store '" + connectionName + "' of instance '" + instanceName + "' (" + origin + ")";
    }
}
