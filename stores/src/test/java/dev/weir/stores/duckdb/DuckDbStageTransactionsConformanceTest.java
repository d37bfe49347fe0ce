package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.StageTransactionsConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;

/** The stage transactions conformance tests on DuckDB. */
class DuckDbStageTransactionsConformanceTest extends StageTransactionsConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
