package dev.weir.testkit;

/** The run listener tests on PostgreSQL (the server of the PG* variables; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class RunListenerOnPostgresTest extends RunListenerTest {
}
