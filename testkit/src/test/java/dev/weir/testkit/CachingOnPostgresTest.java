package dev.weir.testkit;

/** The cache rules on PostgreSQL (the PG* variables' server, else an embedded one; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class CachingOnPostgresTest extends CachingTest {
}
