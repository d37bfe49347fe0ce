package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Lazy task values on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one,
 * except under CI=true, where the server must be there.
 */
class LazyValueOnPostgresTest extends LazyValueTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("lazyvalue");
    }
}
