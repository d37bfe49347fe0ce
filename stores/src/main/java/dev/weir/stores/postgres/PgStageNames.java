package dev.weir.stores.postgres;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import java.util.List;
import java.util.Objects;

/**
 * How an instance's stages map to schemas, and which stage and table names can be stored. A stage is the
 * schema {@code <prefix><stage><suffix>}; a run writes into {@code <...>__tx}, and a commit parks the
 * schema it replaces as {@code <...>__old} until it drops it.
 */
final class PgStageNames {

    static final String TX_SUFFIX = "__tx";
    static final String OLD_SUFFIX = "__old";

    private final StoreSettings settings;
    private final Object store;

    PgStageNames(StoreSettings settings, Object store) {
        this.settings = settings;
        this.store = store;
    }

    String committedSchema(String stage) {
        Objects.requireNonNull(stage, "stage is null");
        String schema = settings.schemaPrefix() + stage + settings.schemaSuffix();
        // The longest name Weir derives from it must survive PostgreSQL's 63-byte limit too.
        PgIdentifiers.checkLength("schema (with the " + OLD_SUFFIX + " suffix used while committing) of stage '"
                + stage + "'", schema + OLD_SUFFIX, store);
        return schema;
    }

    String transactionSchema(String stage) {
        return committedSchema(stage) + TX_SUFFIX;
    }

    /**
     * A stage's schemas must fit PostgreSQL's 63 bytes with the instance's prefix and suffix, and be none
     * of the store's internal schemas (another stage's {@code __tx} or {@code __old} schema, the metadata
     * schema) nor one the server reserves or every database has ({@code pg_*}, {@code public},
     * {@code information_schema}): a commit renames and drops the schema it replaces.
     */
    void checkStage(String stage) {
        if (stage == null || stage.isEmpty()) {
            throw StoreException.of(store + ": a stage name must not be empty");
        }
        String committed = committedSchema(stage);
        for (String internal : List.of(TX_SUFFIX, OLD_SUFFIX)) {
            if (committed.endsWith(internal)) {
                throw StoreException.of(store + ": stage '" + stage + "' cannot be stored: its schema " + committed
                        + " ends like the schema (" + internal + ") another stage uses while it "
                        + (internal.equals(TX_SUFFIX) ? "runs" : "commits") + ". Rename the stage.");
            }
        }
        for (String schema : List.of(committed, transactionSchema(stage), committed + OLD_SUFFIX)) {
            if (schema.equals(PgMetadata.SCHEMA) || schema.equals("public") || schema.equals("information_schema")
                    || schema.startsWith("pg_")) {
                throw StoreException.of(store + ": stage '" + stage + "' cannot be stored: its schema " + schema
                        + " is " + (schema.equals(PgMetadata.SCHEMA) ? "Weir's metadata schema"
                        : "reserved by PostgreSQL or present in every database") + ". Rename the stage, or give"
                        + " the instance a schema prefix.");
            }
        }
    }

    void checkTable(String table) {
        if (table == null || table.isEmpty()) {
            throw StoreException.of(store + ": a table name must not be empty");
        }
        if (table.indexOf('\0') >= 0) {
            throw StoreException.of(store + ": table name '" + table.replace('\0', '?') + "' contains a NUL character");
        }
        PgIdentifiers.checkLength("table", table, store);
    }
}
