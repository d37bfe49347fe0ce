package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/** The local table cache in front of PostgreSQL (skipped without a server unless CI=true). */
class LocalTableCacheOnPostgresTest extends LocalTableCacheTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("ltc");
    }
}
