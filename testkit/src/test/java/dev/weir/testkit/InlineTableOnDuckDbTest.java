package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The inline table tests on embedded DuckDB. */
class InlineTableOnDuckDbTest extends InlineTableTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
