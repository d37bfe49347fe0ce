package dev.weir.stores.duckdb;

import dev.weir.stores.conformance.StageMetadataConformanceTest;
import dev.weir.stores.conformance.StoreUnderTest;

/** The stage metadata conformance tests on DuckDB. */
class DuckDbStageMetadataConformanceTest extends StageMetadataConformanceTest {

    @Override
    protected StoreUnderTest storeUnderTest() {
        return DuckDbStoreUnderTest.DUCKDB;
    }
}
