package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.LocksConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;

/** The locks conformance tests on DuckDB. */
class DuckDbLocksConformanceTest extends LocksConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
