package dev.weir.stores.postgres;

import static dev.weir.stores.postgres.PgIdentifiers.quote;

import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TaskRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stage's transaction: begun (afresh, or resuming a failed attempt's tables), then committed, aborted or
 * kept for a resume. A run writes into the stage's {@code __tx} schema, and commit renames the schemas in one
 * transaction (PostgreSQL DDL is transactional), so readers see the old stage or the new one, never a mix.
 *
 * <p>Thread-safe: every call runs on a connection of its own.
 */
final class PgStageTransactions {

    /**
     * The cache entries recorded in each stage begun through this store, by task, written in the stage
     * commit's own transaction: they only become visible at commit anyway, and writing them there saves
     * a transaction per task. An entry recorded twice (a retried task) keeps the last.
     */
    private final Map<String, Map<String, TaskRecord>> recorded = new ConcurrentHashMap<>();

    private final PgPool pool;
    private final PgMetadata metadata;
    private final PgKeptAttempts kept;
    private final PgStageNames names;
    private final String instanceId;
    private final Object store;

    PgStageTransactions(PgPool pool, PgMetadata metadata, PgKeptAttempts kept, PgStageNames names,
                        String instanceId, Object store) {
        this.pool = pool;
        this.metadata = metadata;
        this.kept = kept;
        this.names = names;
        this.instanceId = instanceId;
        this.store = store;
    }

    /** Begins {@code stage} afresh when {@code keep} is empty, else keeps those tables of its kept attempt. */
    void begin(String stage, Set<String> keep) {
        String committed = names.committedSchema(stage);
        String tx = names.transactionSchema(stage);
        recorded.remove(stage);
        PgTx.run(pool, store, "begin stage '" + stage + "'", t -> {
            if (keep.isEmpty()) {
                t.execute("DROP SCHEMA IF EXISTS " + quote(tx) + " CASCADE", "CREATE SCHEMA " + quote(tx));
            } else {
                kept.dropAllBut(t, stage, committed, tx, keep);
            }
            metadata.deleteUncommitted(t, committed);
            metadata.forgetSlices(t, tx);
            metadata.transactionBegun(t, new PgMetadata.Transaction(committed, stage, tx, PgMetadata.OPEN, null, null),
                    instanceId);
            return null;
        });
        recorded.put(stage, Collections.synchronizedMap(new LinkedHashMap<>()));
    }

    void keep(String stage, String flow, String runId) {
        Map<String, TaskRecord> pending = recorded.remove(stage);
        List<TaskRecord> records = null;
        if (pending != null) {
            synchronized (pending) {
                records = List.copyOf(pending.values());
            }
        }
        kept.keep(stage, names.committedSchema(stage), names.transactionSchema(stage), flow, runId, records);
    }

    void commit(String stage, String flow) {
        Objects.requireNonNull(flow, "flow is null");
        String committed = names.committedSchema(stage);
        String tx = names.transactionSchema(stage);
        String old = committed + PgStageNames.OLD_SUFFIX;
        PgTx.run(pool, store, "commit stage '" + stage + "'", t -> {
            if (!PgCatalog.schemaExists(t, tx)) {
                throw StoreException.of(store + ": cannot commit stage '" + stage + "': its transaction schema "
                        + tx + " does not exist (was the stage begun, or already committed or aborted?)");
            }
            try (PgLockWaits.Watch watch = PgLockWaits.watch(pool, store, t, "the commit of stage '" + stage + "'")) {
                t.execute("DROP SCHEMA IF EXISTS " + quote(old) + " CASCADE");
                if (PgCatalog.schemaExists(t, committed)) {
                    t.execute("ALTER SCHEMA " + quote(committed) + " RENAME TO " + quote(old));
                }
                t.execute("ALTER SCHEMA " + quote(tx) + " RENAME TO " + quote(committed),
                        "DROP SCHEMA IF EXISTS " + quote(old) + " CASCADE");
            }
            Map<String, TaskRecord> pending = recorded.get(stage);
            if (pending != null) {
                synchronized (pending) {
                    metadata.recordAll(t, committed, List.copyOf(pending.values()));
                }
            }
            metadata.commit(t, committed, stage, flow);
            metadata.forgetSlices(t, tx);
            metadata.transactionEnded(t, committed);
            return null;
        });
        recorded.remove(stage);
    }

    void abort(String stage) {
        String committed = names.committedSchema(stage);
        String tx = names.transactionSchema(stage);
        recorded.remove(stage);
        PgTx.run(pool, store, "abort stage '" + stage + "'", t -> {
            t.execute("DROP SCHEMA IF EXISTS " + quote(tx) + " CASCADE");
            metadata.deleteUncommitted(t, committed);
            metadata.forgetSlices(t, tx);
            metadata.transactionEnded(t, committed);
            return null;
        });
    }

    /**
     * Holds {@code record} for its stage's commit when the stage was begun through this store; otherwise
     * returns false and the caller writes it at once.
     */
    boolean hold(TaskRecord record) {
        Map<String, TaskRecord> pending = recorded.get(record.stage());
        if (pending == null) {
            return false;
        }
        pending.put(record.task(), record);
        return true;
    }

    /** Forgets what was recorded for a stage that was dropped. */
    void forget(String stage) {
        recorded.remove(stage);
    }
}
