package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Batched tasks reading inlined tables, on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without
 * one, except under CI=true, where the server must be there.
 */
class BatchedInlineInputOnPostgresTest extends BatchedInlineInputTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("binline");
    }
}
