package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The scan-once tests of batched tasks on PostgreSQL (the PG* variables' server, else an embedded one).
 */
class BatchedScanOnceOnPostgresTest extends BatchedScanOnceTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("scan_once");
    }
}
