package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link WeirTest} on DuckDB: what it injects. {@link WeirTestExtensionOnPostgresTest} checks PostgreSQL. */
@WeirTest
class WeirTestExtensionTest {

    private static final AtomicReference<FlowTestKit> EARLIER = new AtomicReference<>();

    protected String expectedStore() {
        return "duckdb";
    }

    @Test
    void injectsOneKitAndOneInstancePerTestOnTheChosenStore(FlowTestKit kit, InstanceConfig mini, InstanceConfig same,
                                                           FlowTestKit sameKit) {
        assertSame(kit, sameKit, "one kit per test");
        assertSame(mini, same, "one instance per test");
        assertEquals("mini", mini.instanceName());
        assertEquals(expectedStore(), mini.tableStore().kind());
        FlowRunRecord run = kit.run(SampleFlows.twoStages(Map.of(), new AtomicReference<>("x")), mini);
        assertTrue(run.successful(), () -> run.result().toJson());
        FlowTestKit earlier = EARLIER.getAndSet(kit);
        if (earlier != null) {
            assertNotSame(earlier, kit, "each test gets a fresh kit");
        }
    }

    @Test
    void eachTestGetsAFreshKit(FlowTestKit kit) {
        FlowTestKit earlier = EARLIER.getAndSet(kit);
        if (earlier != null) {
            assertNotSame(earlier, kit);
        }
    }
}
