package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/**
 * The cache rules on PostgreSQL (the PG* variables' server, else an embedded one). Skipped without one, except
 * under CI=true, where the server must be there.
 */
class CacheRulesOnPostgresTest extends CacheRulesTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("rules");
    }
}
