package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Same-named tasks in two stages on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class SameTaskNameOnPostgresTest extends SameTaskNameTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("samename");
    }
}
