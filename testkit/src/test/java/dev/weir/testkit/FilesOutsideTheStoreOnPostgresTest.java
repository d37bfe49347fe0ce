package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import org.junit.jupiter.api.Assumptions;

/** Files outside the table store, with PostgreSQL's stage transactions (skipped without a server unless CI=true). */
class FilesOutsideTheStoreOnPostgresTest extends FilesOutsideTheStoreTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        Assumptions.assumeTrue(System.getenv("PGHOST") != null || "true".equals(System.getenv("CI")),
                "no PostgreSQL server configured (PGHOST)");
        return kit.postgresInstance("files");
    }
}
