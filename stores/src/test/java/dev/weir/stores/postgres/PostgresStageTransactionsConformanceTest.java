package dev.weir.stores.postgres;

import dev.weir.stores.conformance.StageTransactionsConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The stage transactions conformance tests on a real PostgreSQL server. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresStageTransactionsConformanceTest extends StageTransactionsConformanceTest {

    @RegisterExtension
    static final PostgresStoreUnderTest POSTGRES = new PostgresStoreUnderTest();

    @Override
    protected StoreUnderTest storeUnderTest() {
        return POSTGRES;
    }
}
