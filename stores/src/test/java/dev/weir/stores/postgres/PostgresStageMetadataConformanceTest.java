package dev.weir.stores.postgres;

import dev.weir.stores.conformance.StageMetadataConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The stage metadata conformance tests on a real PostgreSQL server. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresStageMetadataConformanceTest extends StageMetadataConformanceTest {

    @RegisterExtension
    static final PostgresStoreUnderTest POSTGRES = new PostgresStoreUnderTest();

    @Override
    protected StoreUnderTest storeUnderTest() {
        return POSTGRES;
    }
}
