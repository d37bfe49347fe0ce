package dev.weir.engine.runtime;

import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The table stores an engine has opened, one per instance and connection, shared by its runs and
 * closed with the engine. Store implementations are found by {@link ServiceLoader} under their kind.
 * Thread-safe; {@link #open} blocks (it connects), so call it from the blocking dispatcher.
 */
public final class StoreRegistry implements AutoCloseable {

    private final Map<String, TableStoreFactory> factories;
    private final Map<String, TableStore> open = new ConcurrentHashMap<>();

    public StoreRegistry(ClassLoader loader) {
        Map<String, TableStoreFactory> found = new java.util.LinkedHashMap<>();
        for (TableStoreFactory f : ServiceLoader.load(TableStoreFactory.class, loader)) {
            found.putIfAbsent(f.kind(), f);
        }
        this.factories = Map.copyOf(found);
    }

    /** The store for {@code settings}, opened and initialized on first use. */
    public TableStore open(StoreSettings settings) {
        String key = CacheKeys.hash(settings.kind(), settings.connectionName(), settings.instanceId(),
                settings.args().root().render(), settings.workDir().toString());
        return open.computeIfAbsent(key, k -> {
            TableStoreFactory factory = factories.get(settings.kind());
            if (factory == null) {
                throw StoreException.of(settings + ": no table store of kind '" + settings.kind()
                        + "' is on the class path; the known kinds are " + factories.keySet()
                        + " (add weir-stores to the dependencies for duckdb and postgres)");
            }
            TableStore store = factory.open(settings);
            try {
                store.init();
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            return store;
        });
    }

    /** The kinds of store on the class path. */
    public java.util.Set<String> kinds() {
        return factories.keySet();
    }

    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (TableStore store : open.values()) {
            try {
                store.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        open.clear();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
