package dev.weir.testkit;

/** Runs are recorded for {@code weir status}, on embedded DuckDB. */
class RunRecordingOnDuckDbTest extends RunRecordingTest {
}
