package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Batched tasks reading inlined tables, on embedded DuckDB. */
class BatchedInlineInputOnDuckDbTest extends BatchedInlineInputTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.instance("mini");
    }
}
