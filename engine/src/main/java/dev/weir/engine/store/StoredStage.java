package dev.weir.engine.store;

import java.util.Map;
import java.util.Objects;

/**
 * What a table store holds of one stage of its instance ({@link TableStore#storedStage}): what
 * {@link TableStore#dropStage} drops.
 *
 * @param stage          the stage's logical name
 * @param schemas        the stage's schemas that exist, as the database names them, each with its number
 *                       of tables and views, in the order the store lists them
 * @param cacheEntries   the stage's cache entries, committed or recorded by an unfinished attempt
 * @param committed      true when the metadata records a commit of the stage (its owner, version and time)
 * @param transaction    true when the metadata records a transaction of the stage that was begun and not
 *                       ended (a running, killed or kept attempt)
 * @param ledgerEntries  entries of the append ledger of the stage's tables filled in slices
 */
public record StoredStage(String stage, Map<String, Integer> schemas, int cacheEntries, boolean committed,
                          boolean transaction, int ledgerEntries) {

    public StoredStage {
        Objects.requireNonNull(stage, "stage is null");
        schemas = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(schemas));
    }

    /** The metadata rows of the stage: cache entries, the commit record, the transaction record, ledger entries. */
    public int metadataRows() {
        return cacheEntries + (committed ? 1 : 0) + (transaction ? 1 : 0) + ledgerEntries;
    }

    /** True when the store holds nothing of the stage. */
    public boolean isEmpty() {
        return schemas.isEmpty() && metadataRows() == 0;
    }
}
