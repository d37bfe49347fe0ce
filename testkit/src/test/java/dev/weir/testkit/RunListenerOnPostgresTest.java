package dev.weir.testkit;

/** The run listener tests on PostgreSQL (the PG* variables' server, else an embedded one; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class RunListenerOnPostgresTest extends RunListenerTest {
}
