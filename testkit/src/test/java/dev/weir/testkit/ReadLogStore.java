package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.ReadOptions;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A table store for tests that records every read of a table's rows ({@code readArrow}: the table and
 * the predicate pushed into it), so a test can tell how often a batched task scanned its input.
 * Everything goes on to the store it wraps (DuckDB or PostgreSQL; {@link WrappedStore}).
 */
final class ReadLogStore {

    private static final String KIND = "read-log";
    /** The engine opens stores through {@code ServiceLoader}: a store finds its test's log here by id. */
    private static final Map<String, Reads> LOGS = new ConcurrentHashMap<>();

    private ReadLogStore() {
    }

    /** The reads of one test. Thread-safe: chunks read on several threads. */
    static final class Reads implements AutoCloseable {
        private final String id = UUID.randomUUID().toString();
        private final List<String> reads = new CopyOnWriteArrayList<>();

        InstanceConfig around(InstanceConfig instance) {
            LOGS.put(id, this);
            return WrappedStore.around(instance, KIND, Map.of("log", id), "reads counted");
        }

        /** The reads of table {@code table} (any schema), as {@code where} predicates ({@code "all"} for none). */
        List<String> of(String table) {
            return reads.stream().filter(r -> r.startsWith(table + " ")).map(r -> r.substring(table.length() + 1))
                    .toList();
        }

        @Override
        public void close() {
            LOGS.remove(id);
        }
    }

    /** Found by {@code ServiceLoader} under kind {@code read-log}. */
    public static final class Factory implements TableStoreFactory {
        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(StoreSettings settings) {
            Reads log = LOGS.get(settings.args().getString(KIND + ".log"));
            if (log == null) {
                throw new IllegalStateException("no read log " + settings.args().getString(KIND + ".log") + " is open");
            }
            return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
                if (method.getName().equals("readArrow")) {
                    String where = ((ReadOptions) args[2]).where();
                    if (!"1 = 0".equals(where)) {
                        log.reads.add(((TableLocation) args[0]).table() + " " + (where == null ? "all" : where));
                    }
                }
                return proceed.call();
            });
        }
    }
}
