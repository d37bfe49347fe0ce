package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The timeout, cancel and lock-wait tests on PostgreSQL (the PG* variables' server, else an embedded one). Skipped
 * without one, except under CI=true, where the server must be there.
 */
class TimeoutsAndCancelOnPostgresTest extends TimeoutsAndCancelTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("bounds");
    }

    @Override
    protected String slowQuery() {
        return "SELECT 1 AS n FROM pg_sleep(120)";
    }

    @Override
    protected String holderHint() {
        return "session ";
    }
}
