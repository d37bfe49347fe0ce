package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Planning a run without running it, on embedded DuckDB. */
class PlanOnDuckDbTest extends PlanTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
