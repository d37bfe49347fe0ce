package dev.weir.stores.postgres;

import dev.weir.stores.conformance.LocksConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The locks conformance tests on a real PostgreSQL server. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresLocksConformanceTest extends LocksConformanceTest {

    @RegisterExtension
    static final PostgresStoreUnderTest POSTGRES = new PostgresStoreUnderTest();

    @Override
    protected StoreUnderTest storeUnderTest() {
        return POSTGRES;
    }
}
