package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Runs are recorded for {@code weir status}, on PostgreSQL (the server of the PG* variables). Skipped without
 * one, except under CI=true, where the server must be there.
 */
class RunRecordingOnPostgresTest extends RunRecordingTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("recording");
    }
}
