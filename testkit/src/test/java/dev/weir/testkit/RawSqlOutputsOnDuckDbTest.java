package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** A raw SQL task's outputs on embedded DuckDB. */
class RawSqlOutputsOnDuckDbTest extends RawSqlOutputsTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
