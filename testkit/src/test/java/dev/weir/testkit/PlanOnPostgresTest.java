package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Planning a run without running it, on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class PlanOnPostgresTest extends PlanTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("plan");
    }
}
