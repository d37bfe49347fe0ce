package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/**
 * Resuming failed stages on PostgreSQL (the server of the PG* variables). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class ResumeOnPostgresTest extends ResumeTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit, String name) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance(name);
    }
}
