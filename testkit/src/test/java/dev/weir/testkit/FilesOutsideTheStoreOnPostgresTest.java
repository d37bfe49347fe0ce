package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;

/** Files outside the table store, with PostgreSQL's stage transactions (skipped without a server unless CI=true). */
class FilesOutsideTheStoreOnPostgresTest extends FilesOutsideTheStoreTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("files");
    }
}
