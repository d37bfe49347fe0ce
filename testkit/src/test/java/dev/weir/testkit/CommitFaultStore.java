package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.StoreException;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A table store of kind {@code commit-faults}, for tests: the real store with the commits of one stage
 * broken as {@link Fault} says; everything else goes to the real store ({@link WrappedStore}). Found by
 * {@code ServiceLoader} from this module's test resources; {@link #around} makes an instance use it and
 * returns what counts the stage's commit calls.
 */
public final class CommitFaultStore implements TableStoreFactory {

    static final String KIND = "commit-faults";

    /** How the commits of the stage break. */
    enum Fault {
        /** The first commit fails transiently before it reaches the store: nothing committed. */
        TRANSIENT_ONCE,
        /** The first commit commits, then fails transiently: the acknowledgement of its COMMIT was lost. */
        LOST_ACKNOWLEDGEMENT,
        /**
         * PostgreSQL only: the first commit commits, then every other session of the instance's store is ended
         * ({@code pg_terminate_backend}: its pooled connections and its instance lock's session) and
         * it fails transiently, as when an administrator ends the sessions while COMMIT is acknowledged.
         */
        SESSIONS_ENDED_AFTER_COMMIT,
        /** Every commit fails for good, committing nothing. */
        REFUSED,
        /** Every commit fails transiently, committing nothing. */
        TRANSIENT_ALWAYS
    }

    /** The commit calls of the stage, and how many reached the real store and committed. */
    static final class Counts {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger committed = new AtomicInteger();
    }

    private static final Map<String, Counts> COUNTS = new ConcurrentHashMap<>();

    /** {@code instance} whose store breaks the commits of {@code stage} as {@code fault} says, and its counts. */
    static Map.Entry<InstanceConfig, Counts> around(InstanceConfig instance, String stage, Fault fault) {
        String id = UUID.randomUUID().toString();
        Counts counts = new Counts();
        COUNTS.put(id, counts);
        return Map.entry(WrappedStore.around(instance, KIND, Map.of("stage", stage, "fault", fault.name(), "id", id),
                "commits of stage " + stage + " " + fault), counts);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public TableStore open(StoreSettings settings) {
        String stage = settings.args().getString(KIND + ".stage");
        Fault fault = Fault.valueOf(settings.args().getString(KIND + ".fault"));
        Counts counts = COUNTS.get(settings.args().getString(KIND + ".id"));
        String store = settings.instanceName() + "'s store";
        java.util.concurrent.atomic.AtomicReference<TableStore> self = new java.util.concurrent.atomic.AtomicReference<>();
        self.set(WrappedStore.open(settings, KIND, (method, args, proceed) -> {
            if (!method.getName().equals("commitStage") || !stage.equals(args[0])) {
                return proceed.call();
            }
            int call = counts.calls.incrementAndGet();
            switch (fault) {
                case TRANSIENT_ONCE -> {
                    if (call == 1) {
                        throw new StoreException(store + ": cannot commit stage '" + stage
                                + "': terminating connection due to administrator command", "COMMIT", true, null);
                    }
                }
                case LOST_ACKNOWLEDGEMENT -> {
                    if (call == 1) {
                        proceed.call();
                        counts.committed.incrementAndGet();
                        throw new StoreException(store + ": cannot commit stage '" + stage
                                + "': connection lost before COMMIT was acknowledged", "COMMIT", true, null);
                    }
                }
                case SESSIONS_ENDED_AFTER_COMMIT -> {
                    if (call == 1) {
                        proceed.call();
                        counts.committed.incrementAndGet();
                        String sessions = ("weir " + settings.instanceName()).replace("'", "''");
                        self.get().executeScript("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                + " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                                + " AND (application_name = '" + sessions + "' OR application_name LIKE '"
                                + sessions.replace("_", "\\_").replace("%", "\\%") + " %')");
                        throw new StoreException(store + ": cannot commit stage '" + stage
                                + "': FATAL: terminating connection due to administrator command (57P01)", "COMMIT",
                                true, null);
                    }
                }
                case REFUSED -> throw StoreException.of(store + ": the store refuses to commit stage '" + stage + "'");
                case TRANSIENT_ALWAYS -> throw new StoreException(store + ": cannot commit stage '" + stage
                        + "': connection reset (call " + call + ")", "COMMIT", true, null);
                default -> throw new IllegalStateException("unknown fault " + fault);
            }
            Object result = proceed.call();
            counts.committed.incrementAndGet();
            return result;
        }));
        return self.get();
    }
}
