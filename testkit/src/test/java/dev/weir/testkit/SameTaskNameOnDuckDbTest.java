package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Same-named tasks in two stages on embedded DuckDB. */
class SameTaskNameOnDuckDbTest extends SameTaskNameTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
