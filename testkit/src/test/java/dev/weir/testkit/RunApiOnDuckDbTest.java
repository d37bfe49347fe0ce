package dev.weir.testkit;

/** The run API tests on embedded DuckDB. */
class RunApiOnDuckDbTest extends RunApiTest {
}
