package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A PostgreSQL store for tests whose first append of a batched task's chunk loses its connection in
 * the middle of its {@code COPY}: once the first batch has gone to the server, the backend running the
 * COPY is terminated ({@code pg_terminate_backend}) from a connection of the test's own. Everything else
 * goes straight to the store it wraps ({@link WrappedStore}).
 */
final class CopyKillingStore {

    private static final String KIND = "copy-killing";

    /** Backends terminated, by the id in a store's settings; a test reads its own. */
    private static final Map<String, AtomicInteger> KILLED = new ConcurrentHashMap<>();

    private CopyKillingStore() {
    }

    /** {@code instance} on a copy-killing store wrapping its own; {@code killed} counts the terminations. */
    static InstanceConfig around(InstanceConfig instance, AtomicInteger killed) {
        String id = UUID.randomUUID().toString();
        KILLED.put(id, killed);
        return WrappedStore.around(instance, KIND, Map.of("id", id), "the first chunk append loses its connection");
    }

    /** Found by {@link java.util.ServiceLoader} under kind {@code copy-killing}. */
    public static final class Factory implements TableStoreFactory {
        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(StoreSettings settings) {
            AtomicInteger killed = KILLED.get(settings.args().getString(KIND + ".id"));
            String application = "weir " + settings.instanceName();
            AtomicInteger appends = new AtomicInteger();
            return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
                if (method.getName().equals("appendArrow") && appends.incrementAndGet() == 1) {
                    args[1] = new KillingReader((ArrowReader) args[1], application, killed);
                }
                return proceed.call();
            });
        }
    }

    /** Passes the batches on; before the second pull, ends the backend that is copying them in. */
    private static final class KillingReader extends ArrowReader {
        private final ArrowReader data;
        private final String application;
        private final AtomicInteger killed;
        private int pulls;

        KillingReader(ArrowReader data, String application, AtomicInteger killed) {
            super(new org.apache.arrow.memory.RootAllocator(0)); // allocates nothing: the batches are data's
            this.data = data;
            this.application = application;
            this.killed = killed;
        }

        @Override
        public VectorSchemaRoot getVectorSchemaRoot() throws IOException {
            return data.getVectorSchemaRoot();
        }

        @Override
        public boolean loadNextBatch() throws IOException {
            if (++pulls == 2) {
                try {
                    killed.addAndGet(terminateCopy());
                } catch (SQLException e) {
                    throw new IllegalStateException("the test could not terminate the COPY", e);
                }
            }
            return data.loadNextBatch();
        }

        private int terminateCopy() throws SQLException {
            try (Connection c = PostgresFaultInjectionTest.connect(); PreparedStatement s = c.prepareStatement(
                    "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ?"
                            + " AND datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'"
                            // an append's COPY under way only: an idle pooled connection whose last query was a
                            // COPY would, once ended, fail whatever next borrows it (a task's own statements too)
                            + " AND query LIKE 'COPY % FROM STDIN%'")) {
                s.setString(1, application);
                int ended = 0;
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        ended += rs.getBoolean(1) ? 1 : 0;
                    }
                }
                return ended;
            }
        }

        @Override
        public long bytesRead() {
            return data.bytesRead();
        }

        @Override
        protected void closeReadSource() {
            // the caller closes data
        }

        @Override
        protected Schema readSchema() throws IOException {
            return data.getVectorSchemaRoot().getSchema();
        }

        @Override
        public void close() {
            allocator.close(); // never used: the caller closes data, which owns the batches
        }
    }
}
