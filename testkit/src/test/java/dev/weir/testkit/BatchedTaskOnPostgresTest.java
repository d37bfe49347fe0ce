package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The batched task tests on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class BatchedTaskOnPostgresTest extends BatchedTaskTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("batched");
    }
}
