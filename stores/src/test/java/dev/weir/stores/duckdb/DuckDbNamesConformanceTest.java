package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.NamesConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;

/** The names conformance tests on DuckDB. */
class DuckDbNamesConformanceTest extends NamesConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
