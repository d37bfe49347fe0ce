package dev.weir.stores.duckdb;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.duckdb.DuckDBConnection;

/**
 * Reading the committed stages of other instances. An instance in another file is attached
 * read-only under {@code weir_src_<instance id>} (once per database; attachments are shared by
 * every connection); an instance sharing this file (other schema prefix) is read in place.
 * Foreign tables are named by their physical side schema rather than the committed views, so the
 * names do not depend on how DuckDB resolves a view inside an attached database.
 *
 * <p>DuckDB refuses to attach a file that a store of this JVM has open, and to open a file this
 * JVM has attached ("Unique file handle conflict"): the error says so.
 */
final class ForeignInstances {

    private final DuckDbDatabase database;
    private final DuckDbMetadata metadata;

    ForeignInstances(DuckDbDatabase database, DuckDbMetadata metadata) {
        this.database = database;
        this.metadata = metadata;
    }

    Map<String, String> stageTables(StoreSettings other, String stage) {
        DuckDbConfig otherConfig = configOf(other, stage);
        String catalog = catalogOf(other, otherConfig);
        String committed = otherConfig.schemaPrefix() + stage + otherConfig.schemaSuffix();
        return database.withConnection("cannot read stage " + stage + " of " + other, connection -> {
            String side = metadata.currentSide(connection, catalog, committed).orElseThrow(() ->
                    StoreException.of(database.storeName() + ": stage '" + stage + "' of " + other
                            + " was never committed; run that instance first"));
            String schema = ViewSwitchingStages.sideSchema(committed, side);
            Map<String, String> tables = new LinkedHashMap<>();
            for (String table : database.strings(connection, "cannot list " + schema + " of " + other,
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?"
                            + " ORDER BY 1", catalog, schema)) {
                tables.put(table, DuckDbSql.quote(catalog) + "." + DuckDbSql.qualified(schema, table));
            }
            return Map.copyOf(tables);
        });
    }

    Optional<String> stageVersion(StoreSettings other, String stage) {
        DuckDbConfig otherConfig = configOf(other, stage);
        String catalog = catalogOf(other, otherConfig);
        String committed = otherConfig.schemaPrefix() + stage + otherConfig.schemaSuffix();
        return database.withConnection("cannot read the version of stage " + stage + " of " + other,
                connection -> metadata.stageVersion(connection, catalog, committed));
    }

    /**
     * The other instance's DuckDB settings; refused when its table store is of another kind (a source instance on
     * PostgreSQL), rather than read as a DuckDB url it is not.
     */
    private DuckDbConfig configOf(StoreSettings other, String stage) {
        if (!DuckDbStoreFactory.KIND.equals(other.kind())) {
            throw StoreException.of(database.storeName() + ": cannot read stage '" + stage + "' of " + other
                    + ": cross-instance reads need both instances on DuckDB (in one file, or in a file this one attaches)");
        }
        return DuckDbConfig.from(other);
    }

    /** The catalog holding the other instance's tables, attaching its file when needed. */
    private synchronized String catalogOf(StoreSettings other, DuckDbConfig otherConfig) {
        Path file = otherConfig.databaseFile().orElseThrow(() -> StoreException.of(database.storeName()
                + ": cannot read " + other + ": its database is in memory and visible to no other instance"));
        if (file.equals(database.config().databaseFile().orElse(null))) {
            return database.withConnection("cannot name this database",
                    connection -> database.strings(connection, "cannot name this database",
                            "SELECT current_database()").get(0));
        }
        String alias = "weir_src_" + other.instanceId();
        return database.withConnection("cannot attach the database of " + other, connection -> {
            boolean attached = !database.strings(connection, "cannot list attached databases",
                    "SELECT database_name FROM duckdb_databases() WHERE database_name = ?", alias).isEmpty();
            if (!attached) {
                if (!Files.exists(file)) {
                    throw StoreException.of(database.storeName() + ": cannot read " + other
                            + ": its database file " + file + " does not exist; run that instance first");
                }
                String sql = "ATTACH " + DuckDbSql.literal(file.toString()) + " AS " + DuckDbSql.quote(alias)
                        + " (READ_ONLY)";
                try {
                    database.execute(connection, "cannot attach the database of " + other, sql);
                } catch (StoreException e) {
                    if (e.getMessage().contains("already exists")) {
                        // Another store on this file attached it between our check and our ATTACH.
                        return alias;
                    }
                    if (e.getMessage().contains("Unique file handle conflict")) {
                        throw new StoreException(database.storeName() + ": cannot attach " + file + " of " + other
                                + " read-only: a store of this JVM has it open. Close that store first, or keep"
                                + " both instances in one file with different schema_prefix", sql, false, e);
                    }
                    throw e;
                }
            }
            return alias;
        });
    }
}
