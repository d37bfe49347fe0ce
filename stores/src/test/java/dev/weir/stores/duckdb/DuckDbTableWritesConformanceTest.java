package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.StoreUnderTest;
import dev.weir.stores.conformance.TableWritesConformanceTest;

/** The table writes conformance tests on DuckDB. */
class DuckDbTableWritesConformanceTest extends TableWritesConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
