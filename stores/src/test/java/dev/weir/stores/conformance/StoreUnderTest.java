package dev.weir.stores.conformance;

import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import java.nio.file.Path;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * One kind of table store as the conformance suite sees it: how to open one, and how to look behind its
 * back where {@link TableStore} has no call for it. Each store's test package has one; each conformance
 * class has a subclass per store that returns it from {@link TableStoreFixture#storeUnderTest()}.
 */
public interface StoreUnderTest {

    /** Opens (without init) a store of instance {@code instanceId} keeping local files in {@code workDir}. */
    TableStore open(String instanceId, Path workDir);

    /** The number of indexes (primary key excluded) on a table. */
    int indexCount(TableStore store, TableLocation location);

    /**
     * The field a store reads back for a written field: the same, unless the database has no exact
     * counterpart and widens the type (e.g. PostgreSQL has no one-byte integer). Stores document
     * every such widening; the values round-trip unchanged.
     */
    default Field asRead(Field written) {
        return written;
    }

    /** Makes the store's metadata look written by another Weir version. */
    default void corruptMetadataVersion(TableStore store) {
        store.executeScript("UPDATE weir_metadata.version SET version = 999");
    }
}
