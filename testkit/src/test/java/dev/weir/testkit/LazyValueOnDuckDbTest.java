package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Lazy task values on embedded DuckDB. */
class LazyValueOnDuckDbTest extends LazyValueTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
