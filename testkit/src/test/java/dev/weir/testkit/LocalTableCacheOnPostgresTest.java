package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** The local table cache in front of PostgreSQL (a configured server, or an embedded one outside CI). */
class LocalTableCacheOnPostgresTest extends LocalTableCacheTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("ltc");
    }
}
