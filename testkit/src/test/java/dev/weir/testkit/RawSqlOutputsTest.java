package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.TaskHandle;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.data.Rows;
import dev.weir.engine.store.StoreSettings;
import dev.weir.engine.store.TableLocation;
import dev.weir.engine.store.TableStore;
import dev.weir.engine.store.TableStoreFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw SQL task's outputs are the tables its script created, not the tables other tasks of its stage
 * wrote into the stage's transaction while the script ran. Subclasses pick the store.
 */
abstract class RawSqlOutputsTest {

    @TempDir
    Path dir;

    protected abstract InstanceConfig instance(FlowTestKit kit);

    @Test
    void aScriptClaimsOnlyTheTablesItCreatedWhileAnotherTaskOfItsStageWrites() {
        try (FlowTestKit kit = FlowTestKit.create(dir); Interleaving interleaving = new Interleaving()) {
            InstanceConfig instance = interleaving.around(instance(kit).withOrchestration(
                    new InstanceConfig.Orchestration(InstanceConfig.Orchestration.Engine.PARALLEL, 2)));
            Flow flow = Flow.define("raw_outputs", f -> {
                Stage s = f.stage("s");
                TaskHandle script = s.task("script").rawSql("""
                        CREATE TABLE {out}."a" AS SELECT 1 AS x;
                        CREATE TABLE {out}."b" AS SELECT 2 AS x UNION ALL SELECT 3;
                        """, Map.of());
                s.task("other").version("1")
                        .produces(ctx -> Table.of(Rows.builder("y").add(1L).add(2L).add(3L).add(4L).build(), "other"));
            });

            FlowRunRecord run = kit.run(flow, instance);

            assertTrue(run.successful(), () -> run.result().toJson());
            assertTrue(interleaving.interleaved.get(), "the other task's table was not written while the script ran");
            assertEquals(3, run.result().task("s", "script").orElseThrow().rows(), () -> run.result().toJson());
            assertEquals(4, run.result().get(Ref.of("s", "other"), Rows.class).size());
            assertEquals(2, run.result().get(new Ref("s", "script", "b"), Rows.class).size());
        }
    }

    /**
     * A store whose scripts run while the table {@code other} is written: the script waits (bounded) until
     * that table exists, and the table's write waits until the script has begun.
     */
    static final class Interleaving implements AutoCloseable {
        private static final String KIND = "interleaving";
        private static final Map<String, Interleaving> OPEN = new ConcurrentHashMap<>();

        private final String id = UUID.randomUUID().toString();
        private final CountDownLatch scriptBegun = new CountDownLatch(1);
        private final CountDownLatch otherWritten = new CountDownLatch(1);
        final AtomicBoolean interleaved = new AtomicBoolean();

        InstanceConfig around(InstanceConfig instance) {
            OPEN.put(id, this);
            return WrappedStore.around(instance, KIND, Map.of("id", id), "scripts interleaved with writes");
        }

        private Object intercept(java.lang.reflect.Method method, Object[] args, WrappedStore.Proceed proceed)
                throws Throwable {
            if (method.getName().equals("executeScript")) {
                scriptBegun.countDown();
                interleaved.set(otherWritten.await(20, TimeUnit.SECONDS));
                return proceed.call();
            }
            if (method.getName().equals("writeArrow") && ((TableLocation) args[0]).table().equals("other")) {
                scriptBegun.await(20, TimeUnit.SECONDS);
                try {
                    return proceed.call();
                } finally {
                    otherWritten.countDown();
                }
            }
            return proceed.call();
        }

        @Override
        public void close() {
            OPEN.remove(id);
            scriptBegun.countDown();
            otherWritten.countDown();
        }

        /** Found by {@link java.util.ServiceLoader} under kind {@code interleaving}. */
        public static final class Factory implements TableStoreFactory {
            @Override
            public String kind() {
                return KIND;
            }

            @Override
            public TableStore open(StoreSettings settings) {
                Interleaving interleaving = OPEN.get(settings.args().getString(KIND + ".id"));
                if (interleaving == null) {
                    throw new IllegalStateException("no interleaving " + settings.args().getString(KIND + ".id"));
                }
                return WrappedStore.open(settings, KIND, interleaving::intercept);
            }
        }
    }
}
