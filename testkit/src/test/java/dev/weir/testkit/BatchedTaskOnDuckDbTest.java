package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The batched task tests on embedded DuckDB. */
class BatchedTaskOnDuckDbTest extends BatchedTaskTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
