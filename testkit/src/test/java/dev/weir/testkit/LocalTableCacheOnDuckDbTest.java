package dev.weir.testkit;

/** The local table cache in front of embedded DuckDB. */
class LocalTableCacheOnDuckDbTest extends LocalTableCacheTest {
}
