package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/**
 * The timeout, cancel and lock-wait tests on PostgreSQL (the server of the PG* variables). Skipped
 * without one, except under CI=true, where the server must be there.
 */
class TimeoutsAndCancelOnPostgresTest extends TimeoutsAndCancelTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("bounds");
    }

    @Override
    protected String slowQuery() {
        return "SELECT 1 AS n FROM pg_sleep(120)";
    }
}
