package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The cache rules on embedded DuckDB. */
class CacheRulesOnDuckDbTest extends CacheRulesTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
