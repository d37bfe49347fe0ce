package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.StoreUnderTest;
import dev.weir.stores.conformance.TableReadsConformanceTest;

/** The table reads conformance tests on DuckDB. */
class DuckDbTableReadsConformanceTest extends TableReadsConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
