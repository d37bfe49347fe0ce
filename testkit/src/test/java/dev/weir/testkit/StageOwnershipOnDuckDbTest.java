package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Stage ownership on embedded DuckDB. */
class StageOwnershipOnDuckDbTest extends StageOwnershipTest {

    @Override
    protected InstanceConfig otherInstance(FlowTestKit kit) {
        return kit.instance("other");
    }
}
