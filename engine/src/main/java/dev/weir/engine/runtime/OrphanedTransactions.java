package dev.weir.engine.runtime;

import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.TableStore;
import java.util.Map;

/**
 * Cleans up after runs that were killed: a stage transaction that a run began and never committed,
 * aborted or kept is dropped when the next run of the instance starts, under the instance's lock, so no
 * live run can own it: its schema ({@link TableStore#dropOrphanedTransactions}) and its blobs. Each is
 * logged once, when dropped.
 */
final class OrphanedTransactions {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OrphanedTransactions.class);

    private OrphanedTransactions() {
    }

    /** Blocking: drops the instance's orphaned stage transactions. Call holding the instance lock. */
    static void drop(TableStore store, InstanceConfig config) {
        FileBlobStore blobs = new FileBlobStore(config.blobStoreDir());
        for (Map.Entry<String, String> orphan : store.dropOrphanedTransactions().entrySet()) {
            blobs.abort(orphan.getKey());
            LOG.warn("Instance '{}': dropped the transaction of stage '{}' (schema {}), left by a run that ended"
                    + " without committing or aborting it (killed?)", config.instanceName(), orphan.getKey(),
                    orphan.getValue());
        }
    }
}
