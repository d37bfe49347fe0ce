package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Table names within a stage on embedded DuckDB. */
class TableNamesInAStageOnDuckDbTest extends TableNamesInAStageTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
