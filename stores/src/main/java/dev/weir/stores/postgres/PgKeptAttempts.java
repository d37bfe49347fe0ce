package dev.weir.stores.postgres;

import dev.weir.engine.store.KeptAttempt;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.TaskRecord;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What outlives a stage transaction that was not committed: the attempt a failed run kept for the next
 * run to resume, and the transaction schema a killed run left behind. Both are rows of
 * {@code weir_metadata.transactions} ({@link PgMetadata}); a kept attempt's cache entries are its
 * uncommitted rows of {@code weir_metadata.tasks}.
 */
final class PgKeptAttempts {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PgKeptAttempts.class);

    /** The relations of a schema and their kind ({@code pg_class.relkind}). */
    private static final String RELATIONS = "SELECT c.relname, c.relkind FROM pg_catalog.pg_class c"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?"
            + " AND c.relkind IN ('r', 'v', 'm', 'p', 'f') ORDER BY c.relname COLLATE \"C\"";

    private final PgPool pool;
    private final PgMetadata metadata;
    private final Object store;
    private final dev.weir.engine.store.StoreSettings settings;
    private final String instanceId;

    PgKeptAttempts(PgPool pool, PgMetadata metadata, Object store, dev.weir.engine.store.StoreSettings settings) {
        this.pool = pool;
        this.metadata = metadata;
        this.store = store;
        this.settings = settings;
        this.instanceId = settings.instanceId();
    }

    /**
     * Ends a failed attempt keeping its transaction schema and its cache entries (written now, uncommitted);
     * with no entry, drops the schema as an abort does.
     *
     * @param pending the entries recorded in the attempt, or null when they were written as they came
     */
    void keep(String stage, String committed, String tx, String flow, String runId, List<TaskRecord> pending) {
        PgTx.run(pool, store, "keep the failed attempt of stage '" + stage + "'", t -> {
            if (pending != null) {
                metadata.deleteUncommitted(t, committed);
                metadata.recordAll(t, committed, pending);
            }
            metadata.forgetSlices(t, tx);
            if (metadata.uncommittedTasks(t, committed).isEmpty()) {
                t.execute("DROP SCHEMA IF EXISTS " + PgIdentifiers.quote(tx) + " CASCADE");
                metadata.transactionEnded(t, committed);
            } else {
                metadata.transactionBegun(t, new PgMetadata.Transaction(committed, stage, tx, PgMetadata.KEPT, flow,
                        runId), instanceId);
            }
            return null;
        });
    }

    /** The kept attempt of a stage, with the relations its schema still holds. */
    Optional<KeptAttempt> kept(String stage, String committed, String tx) {
        return PgTx.run(pool, store, "read the kept attempt of stage '" + stage + "'", t -> {
            Optional<PgMetadata.Transaction> kept = keptIn(t, committed, tx);
            if (kept.isEmpty()) {
                return Optional.empty();
            }
            Set<String> tables = new TreeSet<>();
            t.query(RELATIONS, rs -> tables.add(rs.getString(1)), tx);
            return Optional.of(new KeptAttempt(stage, kept.get().flow(), kept.get().runId(),
                    metadata.uncommittedTasks(t, committed), tables));
        });
    }

    /**
     * Inside the caller's transaction (a stage beginning), drops every relation of the kept schema {@code tx}
     * but those of {@code keep}, which must all be there.
     */
    void dropAllBut(PgTx t, String stage, String committed, String tx, Set<String> keep) throws SQLException {
        Optional<PgMetadata.Transaction> kept = keptIn(t, committed, tx);
        if (kept.isEmpty()) {
            throw StoreException.of(store + ": cannot resume stage '" + stage + "': no failed attempt of it is kept"
                    + " in schema " + tx);
        }
        List<String[]> relations = t.query(RELATIONS, rs -> new String[] {rs.getString(1), rs.getString(2)}, tx);
        Set<String> missing = new TreeSet<>(keep);
        relations.forEach(r -> missing.remove(r[0]));
        if (!missing.isEmpty()) {
            throw StoreException.of(store + ": cannot resume stage '" + stage + "': the attempt kept by run "
                    + kept.get().runId() + " lacks " + missing + " in schema " + tx);
        }
        List<String> drops = new ArrayList<>();
        for (String[] relation : relations) {
            if (!keep.contains(relation[0])) {
                String kind = switch (relation[1]) {
                    case "v" -> "VIEW";
                    case "m" -> "MATERIALIZED VIEW";
                    case "f" -> "FOREIGN TABLE";
                    default -> "TABLE";
                };
                drops.add("DROP " + kind + " IF EXISTS " + PgIdentifiers.quote(tx) + "." + PgIdentifiers.quote(relation[0])
                        + " CASCADE");
            }
        }
        if (!drops.isEmpty()) {
            t.execute(drops.toArray(String[]::new));
        }
    }

    /**
     * Drops the transaction schemas of this instance that a run began and never ended (a killed run), with
     * their uncommitted cache entries, one transaction each. This instance's are those recorded under its id
     * for a stage schema with its prefix and suffix: instances sharing the database keep theirs.
     *
     * @return the stages whose transaction schema was dropped, with the schema
     */
    java.util.Map<String, String> dropOrphans() {
        List<PgMetadata.Transaction> orphans = PgTx.run(pool, store, "look for orphaned stage transactions",
                t -> metadata.openTransactions(t, instanceId)).stream()
                .filter(o -> o.committedSchema().startsWith(settings.schemaPrefix())
                        && o.committedSchema().endsWith(settings.schemaSuffix()))
                .toList();
        java.util.Map<String, String> dropped = new java.util.LinkedHashMap<>();
        for (PgMetadata.Transaction orphan : orphans) {
            PgTx.run(pool, store, "end the sessions working in the orphaned transaction schema "
                    + orphan.transactionSchema(), t -> {
                endSessionsIn(t, orphan.transactionSchema());
                return null;
            });
            PgTx.run(pool, store, "drop the orphaned transaction schema " + orphan.transactionSchema(), t -> {
                t.execute("DROP SCHEMA IF EXISTS " + PgIdentifiers.quote(orphan.transactionSchema()) + " CASCADE");
                metadata.deleteUncommitted(t, orphan.committedSchema());
                metadata.forgetSlices(t, orphan.transactionSchema());
                metadata.transactionEnded(t, orphan.committedSchema());
                return null;
            });
            dropped.put(orphan.stage(), orphan.transactionSchema());
        }
        return dropped;
    }

    /**
     * The client sessions (not autovacuum, which gives way to a DROP by itself, nor a statement's parallel
     * workers, which end with it) holding a lock on schema {@code ?} or on a relation in schema {@code ?}: pid,
     * application, state, start of the statement, and whether this session may end it.
     */
    private static final String SESSIONS_IN = "SELECT a.pid, a.application_name, a.state, a.query_start,"
            + " pg_catalog.pg_has_role(a.usesysid, 'MEMBER') FROM pg_catalog.pg_stat_activity a"
            + " WHERE a.pid <> pg_catalog.pg_backend_pid() AND a.backend_type = 'client backend'"
            + " AND a.pid IN (SELECT l.pid FROM pg_catalog.pg_locks l"
            + " WHERE l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())"
            + " AND ((l.locktype = 'object' AND l.classid = 'pg_catalog.pg_namespace'::pg_catalog.regclass"
            + " AND l.objid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ?))"
            + " OR (l.locktype = 'relation' AND l.relation IN (SELECT c.oid FROM pg_catalog.pg_class c"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ?)))) ORDER BY a.pid";

    /**
     * Ends the sessions still working in the orphaned transaction schema {@code tx}. A killed run's
     * statement goes on in the server until it ends or reaches statement_timeout (the server notices that
     * its client is gone only when it next talks to it), holding locks that would keep the schema's DROP
     * waiting as long, without a word. No live run owns {@code tx} (the caller holds the instance lock), so
     * such a session works for a run that is gone. One this user may not end is named in a warning.
     */
    private void endSessionsIn(PgTx t, String tx) throws SQLException {
        record Session(int pid, String application, String state, java.time.OffsetDateTime since, boolean mine) { }
        List<Session> sessions = t.query(SESSIONS_IN, rs -> new Session(rs.getInt(1), rs.getString(2), rs.getString(3),
                rs.getObject(4, java.time.OffsetDateTime.class), rs.getBoolean(5)), tx, tx);
        for (Session session : sessions) {
            String who = "session " + session.pid() + " (application '" + session.application() + "', "
                    + session.state() + (session.since() == null ? "" : " since " + session.since().toInstant()) + ")";
            if (session.mine()) {
                t.query("SELECT pg_catalog.pg_terminate_backend(?)", rs -> rs.getBoolean(1), session.pid());
                LOG.warn("{}: ended {}, which still worked in the orphaned transaction schema {} of a run that"
                        + " is gone", store, who, tx);
            } else {
                LOG.warn("{}: dropping the orphaned transaction schema {} waits for {}, which works in it and which"
                        + " user '{}' may not end", store, tx, who, pool.settings().user());
            }
        }
    }

    /** The transaction of a stage if it is kept, in schema {@code tx}. */
    private Optional<PgMetadata.Transaction> keptIn(PgTx t, String committed, String tx) throws SQLException {
        return metadata.transaction(t, committed)
                .filter(r -> r.state().equals(PgMetadata.KEPT) && r.transactionSchema().equals(tx));
    }
}
