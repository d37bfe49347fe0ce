package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The scan-once tests of batched tasks on embedded DuckDB. */
class BatchedScanOnceOnDuckDbTest extends BatchedScanOnceTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
