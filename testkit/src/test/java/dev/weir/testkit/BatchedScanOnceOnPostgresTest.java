package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/**
 * The scan-once tests of batched tasks on PostgreSQL (the server of the PG* variables). Skipped without
 * one, except under CI=true, where the server must be there.
 */
class BatchedScanOnceOnPostgresTest extends BatchedScanOnceTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("scan_once");
    }
}
