package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The fault injection tests on embedded DuckDB. */
class FaultInjectionOnDuckDbTest extends FaultInjectionTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
