package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The stage commit retry tests on embedded DuckDB. */
class StageCommitRetryOnDuckDbTest extends StageCommitRetryTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
