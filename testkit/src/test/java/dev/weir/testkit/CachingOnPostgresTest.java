package dev.weir.testkit;

/** The cache rules on PostgreSQL (the server of the PG* variables; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class CachingOnPostgresTest extends CachingTest {
}
