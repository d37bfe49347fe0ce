package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The inline table tests on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class InlineTableOnPostgresTest extends InlineTableTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("inline");
    }
}
