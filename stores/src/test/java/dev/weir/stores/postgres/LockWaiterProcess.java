package dev.weir.stores.postgres;

import com.typesafe.config.ConfigFactory;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The second process of {@link PostgresLockAcrossProcessesTest}: opens a store through the PG*
 * variables, takes one lock and reports each step on standard output as a line starting with
 * {@link #MARK} (log lines may share the stream): {@code waiting} when the lock is held elsewhere,
 * {@code acquired <waited ms>} once it holds it, {@code released} after closing it.
 *
 * <p>Arguments: the schema prefix of the instance, the lock name, the timeout in milliseconds.
 */
final class LockWaiterProcess {

    static final String MARK = "lock-waiter: ";

    private LockWaiterProcess() {
    }

    public static void main(String[] args) throws Exception {
        String prefix = args[0];
        String lockName = args[1];
        Duration timeout = Duration.ofMillis(Long.parseLong(args[2]));
        StoreSettings settings = new StoreSettings("locks", "locks_id", "postgres", "postgres",
                ConfigFactory.parseMap(Map.of("schema_prefix", prefix, "pool_size", 2), "lock waiter process"),
                Path.of("target", "weir-test"), "settings of the lock waiter process");
        try (PostgresTableStore store = PostgresTableStore.open(settings, System.getenv())) {
            long start = System.nanoTime();
            try (LockManager.Lock lock = store.locks().acquire(lockName, timeout, wait -> report("waiting"))) {
                report("acquired " + (System.nanoTime() - start) / 1_000_000);
            }
            report("released");
        }
    }

    private static void report(String line) {
        System.out.println(MARK + line);
        System.out.flush();
    }
}
