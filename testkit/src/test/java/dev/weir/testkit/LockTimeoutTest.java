package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A run that gives up waiting for its instance's lock names who holds it, whenever the last attempt ends: also
 * when an attempt made just before the deadline reports just after it. The lock is never free here: the test's
 * store says another run holds it, and its attempts end at random instants close to the deadline.
 */
class LockTimeoutTest extends FlowKitTest {

    private static final Duration TIMEOUT = Duration.ofMillis(40);
    private static final String HOLDER = " (held by the test's make-believe run)";

    @Test
    void theTimeoutAlwaysNamesTheHolder() {
        Flow flow = Flow.define("locked-out", f -> f.stage("s").task("t").produces(ctx -> 1));
        InstanceConfig lockedOut = WrappedStore.around(mini.withLockTimeout(TIMEOUT), HeldLockStore.KIND, Map.of(),
                "its lock always held");
        for (int attempt = 0; attempt < 20; attempt++) {
            FlowRunRecord run = kit.run(flow, lockedOut);
            assertFalse(run.successful(), () -> run.result().toJson());
            Throwable failure = run.result().failure().orElseThrow();
            assertInstanceOf(LockManager.LockTimeoutException.class, failure, failure::toString);
            assertTrue(failure.getMessage().contains("is still held by another run of instance 'mini'" + HOLDER),
                    "run " + attempt + ": " + failure.getMessage());
        }
    }

    /**
     * A store whose instance lock is always held by another run. Its first attempt at the lock answers at once;
     * every later one returns at a random instant up to half a millisecond before the lock timeout has passed since
     * the first: the engine's last attempt then often ends just before its deadline.
     */
    public static final class HeldLockStore implements TableStoreFactory {
        static final String KIND = "lock-always-held";

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public TableStore open(StoreSettings settings) {
            AtomicLong first = new AtomicLong();
            return WrappedStore.open(settings, KIND, (method, args, proceed) -> {
                Object real = proceed.call();
                return method.getName().equals("locks") ? held((LockManager) real, first) : real;
            });
        }

        /** {@code real} with its lock always held; {@code first} is when the store's lock was first tried. */
        private static LockManager held(LockManager real, AtomicLong first) {
            return (LockManager) Proxy.newProxyInstance(LockManager.class.getClassLoader(),
                    new Class<?>[] {LockManager.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "tryAcquire" -> {
                            long now = System.nanoTime();
                            if (!first.compareAndSet(0, now)) {
                                long until = first.get() + TIMEOUT.toNanos()
                                        - ThreadLocalRandom.current().nextLong(2_000_000);
                                while (System.nanoTime() < until) {
                                    Thread.onSpinWait();
                                }
                            }
                            yield Optional.empty();
                        }
                        case "holder" -> HOLDER;
                        case "acquire" -> throw new UnsupportedOperationException("the engine tries, then waits on a timer");
                        default -> method.invoke(real, args);
                    });
        }
    }
}
