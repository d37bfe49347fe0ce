package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The memory budget tests on PostgreSQL (the PG* variables' server, else an embedded one). */
class MemoryBudgetOnPostgresTest extends MemoryBudgetTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("budgets");
    }
}
