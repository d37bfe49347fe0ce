package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/** Stage ownership on PostgreSQL (the server of the PG* variables; skipped without one unless CI=true). */
class StageOwnershipOnPostgresTest extends StageOwnershipTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("owners");
    }

    @Override
    protected InstanceConfig otherInstance(FlowTestKit kit) {
        return kit.postgresInstance("other");
    }
}
