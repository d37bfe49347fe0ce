package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Stage ownership on PostgreSQL (the PG* variables' server, else an embedded one; skipped without one unless CI=true). */
class StageOwnershipOnPostgresTest extends StageOwnershipTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("owners");
    }

    @Override
    protected InstanceConfig otherInstance(FlowTestKit kit) {
        return kit.postgresInstance("other");
    }
}
