package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/**
 * The batched task tests on PostgreSQL (the server of the PG* variables). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class BatchedTaskOnPostgresTest extends BatchedTaskTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("batched");
    }
}
