package dev.weir.engine.runtime;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;

/**
 * Cleans up after runs that were killed: a transaction schema that a run began and never committed,
 * aborted or kept is dropped when the next run of the instance starts, under the instance's lock, so no
 * live run can own it ({@link TableStore#dropOrphanedTransactions}). Each is logged once, when dropped.
 */
final class OrphanedTransactions {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OrphanedTransactions.class);

    private OrphanedTransactions() {
    }

    /** Blocking: drops the instance's orphaned transaction schemas. Call holding the instance lock. */
    static void drop(TableStore store, InstanceConfig config) {
        for (String schema : store.dropOrphanedTransactions()) {
            LOG.warn("Instance '{}': dropped transaction schema {}, left by a run that ended without committing"
                    + " or aborting its stage (killed?)", config.instanceName(), schema);
        }
    }
}
