package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * A table store for tests that plays a slow store: every append of a batched task's chunk waits
 * for a permit of the test's {@link Gate}. Everything else goes straight to the store it wraps
 * (DuckDB or PostgreSQL, whichever the instance had; {@link WrappedStore}).
 */
final class GatedStore {

    private static final String KIND = "gated";

    /**
     * The engine opens stores through {@link ServiceLoader}, so a store finds its test's gate here by
     * the id in its settings; {@link Gate#close()} removes it.
     */
    private static final Map<String, Gate> GATES = new ConcurrentHashMap<>();

    private GatedStore() {
    }

    /**
     * The permits of one test, and what it observes: chunk results computed, being uploaded, uploaded.
     * Thread-safe: chunks compute and upload on the engine's blocking dispatcher.
     */
    static final class Gate implements AutoCloseable {
        private final String id = UUID.randomUUID().toString();
        private final Semaphore permits = new Semaphore(0);
        private int computed;
        private int uploading;
        private int uploaded;
        private int mostHeld;

        /** {@code instance} on a gated store wrapping its own. */
        InstanceConfig gate(InstanceConfig instance) {
            GATES.put(id, this);
            return WrappedStore.around(instance, KIND, Map.of("gate", id), "gated appends");
        }

        /** Lets {@code n} more chunk uploads through. */
        void release(int n) {
            permits.release(n);
        }

        /** A chunk's task function returned: its result is held in memory until its upload has ended. */
        synchronized void computed() {
            computed++;
            mostHeld = Math.max(mostHeld, computed - uploaded);
        }

        /** A chunk's upload: waits for a permit, then appends. */
        private Object upload(WrappedStore.Proceed append) throws Throwable {
            synchronized (this) {
                uploading++;
            }
            try {
                permits.acquireUninterruptibly();
                return append.call();
            } finally {
                synchronized (this) {
                    uploading--;
                    uploaded++;
                }
            }
        }

        synchronized int computedSoFar() {
            return computed;
        }

        /** Chunk uploads inside the store (waiting at the gate or writing). */
        synchronized int uploading() {
            return uploading;
        }

        /** Computed results whose upload has not started: waiting in memory for an upload slot. */
        synchronized int waiting() {
            return computed - uploaded - uploading;
        }

        /** The most computed results ever held in memory at once, waiting or being uploaded. */
        synchronized int mostHeld() {
            return mostHeld;
        }

        @Override
        public void close() {
            GATES.remove(id);
            permits.release(Integer.MAX_VALUE / 2); // a failed test must not leave a run blocked
        }
    }

    /** Found by {@link ServiceLoader} under kind {@code gated}. */
    public static final class Factory implements TableStoreFactory {
        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(StoreSettings settings) {
            String id = settings.args().getString(KIND + ".gate");
            Gate gate = GATES.get(id);
            if (gate == null) {
                throw new IllegalStateException("no gate " + id + " is open");
            }
            return WrappedStore.open(settings, KIND, (method, args, proceed) ->
                    method.getName().equals("appendArrow") ? gate.upload(proceed) : proceed.call());
        }
    }
}
