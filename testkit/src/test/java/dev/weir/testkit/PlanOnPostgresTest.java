package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/**
 * Planning a run without running it, on PostgreSQL (the server of the PG* variables). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class PlanOnPostgresTest extends PlanTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("plan");
    }
}
