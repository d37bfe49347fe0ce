package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * Resuming failed stages on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class ResumeOnPostgresTest extends ResumeTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit, String name) {
        return kit.postgresInstance(name);
    }
}
