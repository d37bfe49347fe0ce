package dev.weir.testkit;

/** Files outside the table store, with the stage transactions of embedded DuckDB. */
class FilesOutsideTheStoreOnDuckDbTest extends FilesOutsideTheStoreTest {
}
