package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.AppendsConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;

/** The appends conformance tests on DuckDB. */
class DuckDbAppendsConformanceTest extends AppendsConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
