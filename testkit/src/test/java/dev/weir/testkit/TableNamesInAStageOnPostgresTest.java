package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Table names within a stage on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class TableNamesInAStageOnPostgresTest extends TableNamesInAStageTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("names");
    }
}
