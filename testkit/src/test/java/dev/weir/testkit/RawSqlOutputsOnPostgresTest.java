package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * A raw SQL task's outputs on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class RawSqlOutputsOnPostgresTest extends RawSqlOutputsTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("rawsql");
    }
}
