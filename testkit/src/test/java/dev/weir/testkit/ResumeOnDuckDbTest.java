package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Resuming failed stages on embedded DuckDB. */
class ResumeOnDuckDbTest extends ResumeTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit, String name) {
        return kit.instance(name);
    }
}
