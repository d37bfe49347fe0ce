package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The stage commit retry tests on PostgreSQL (the PG* variables' server, else an embedded one). Skipped
 * without one, except under CI=true, where the server must be there.
 */
class StageCommitRetryOnPostgresTest extends StageCommitRetryTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("commit_retry");
    }
}
