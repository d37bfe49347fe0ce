package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The memory budget tests on embedded DuckDB. */
class MemoryBudgetOnDuckDbTest extends MemoryBudgetTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
