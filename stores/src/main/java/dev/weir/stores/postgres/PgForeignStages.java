package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The committed stages of other instances, read in place: an instance can read another's tables when both
 * keep them in the same PostgreSQL database (under different schema prefixes).
 */
final class PgForeignStages {

    private final PgPool pool;
    private final PgMetadata metadata;
    private final Map<String, String> env;
    private final Object store;

    /** {@code env} resolves the other instances' connection settings as this store's were. */
    PgForeignStages(PgPool pool, PgMetadata metadata, Map<String, String> env, Object store) {
        this.pool = pool;
        this.metadata = metadata;
        this.env = Map.copyOf(env);
        this.store = store;
    }

    /** The tables of {@code other}'s committed {@code stage}, each with its qualified SQL name. */
    Map<String, String> tables(StoreSettings other, String stage) {
        String schema = schema(other, stage);
        List<String> tables = PgTx.run(pool, store, "list stage '" + stage + "' of instance '" + other.instanceName()
                + "'", t -> PgCatalog.schemaExists(t, schema)
                ? t.query(PgCatalog.RELATIONS, rs -> rs.getString(1), schema) : null);
        if (tables == null) {
            throw StoreException.of(store + ": stage '" + stage + "' of instance '" + other.instanceName()
                    + "' has never been committed (schema " + schema + " does not exist); run that instance first");
        }
        Map<String, String> names = new LinkedHashMap<>();
        for (String table : tables) {
            names.put(table, PgIdentifiers.qualified(new TableLocation(schema, table)));
        }
        return names;
    }

    Optional<String> version(StoreSettings other, String stage) {
        return metadata.stageVersion(schema(other, stage));
    }

    /** The committed schema of {@code stage} in {@code other}, after checking this store can read it. */
    private String schema(StoreSettings other, String stage) {
        if (!PostgresTableStore.KIND.equals(other.kind())) {
            throw StoreException.of(store + ": cannot read stage '" + stage + "' of " + other
                    + ": cross-instance reads need both instances in the same PostgreSQL database");
        }
        PgConnectionSettings theirs = PgConnectionSettings.from(other, env);
        if (!theirs.sameDatabase(pool.settings())) {
            throw StoreException.of(store + ": cannot read stage '" + stage + "' of " + other + ": it lives in "
                    + theirs.address() + ", this instance in " + pool.settings().address()
                    + "; instances must share a database for cross-instance reads (give them different"
                    + " schema_prefix values in one database)");
        }
        return other.schemaPrefix() + stage + other.schemaSuffix();
    }
}
