package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A table store of kind {@code read-counting}, for tests: the real store ({@link WrappedStore}), counting
 * per instance and table how often a table is read as Arrow. Found by {@code ServiceLoader} from this
 * module's test resources.
 */
public final class ReadCountingStore implements TableStoreFactory {

    static final String KIND = "read-counting";
    private static final Map<String, AtomicInteger> READS = new ConcurrentHashMap<>();

    /** {@code instance} with its table store's reads counted. */
    static InstanceConfig around(InstanceConfig instance) {
        return WrappedStore.around(instance, KIND, Map.of(), "reads counted");
    }

    /** How often {@code table} of {@code instance} has been read as Arrow. */
    static int reads(InstanceConfig instance, String table) {
        AtomicInteger n = READS.get(instance.tableStore().workDir() + "/" + table);
        return n == null ? 0 : n.get();
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
            if (method.getName().equals("readArrow")) {
                String table = ((TableLocation) args[0]).table();
                READS.computeIfAbsent(settings.workDir() + "/" + table, k -> new AtomicInteger()).incrementAndGet();
            }
            return proceed.call();
        });
    }
}
