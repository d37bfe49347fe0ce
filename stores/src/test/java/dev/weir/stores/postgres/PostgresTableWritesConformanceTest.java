package dev.weir.stores.postgres;

import dev.weir.stores.conformance.StoreUnderTest;
import dev.weir.stores.conformance.TableWritesConformanceTest;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The table writes conformance tests on a real PostgreSQL server. */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresTableWritesConformanceTest extends TableWritesConformanceTest {

    @RegisterExtension
    static final PostgresStoreUnderTest POSTGRES = new PostgresStoreUnderTest();

    @Override
    protected StoreUnderTest storeUnderTest() {
        return POSTGRES;
    }
}
