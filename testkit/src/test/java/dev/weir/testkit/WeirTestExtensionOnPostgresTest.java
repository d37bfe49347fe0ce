package dev.weir.testkit;

/** {@link WeirTest} on PostgreSQL (the PG* variables' server, else an embedded one; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class WeirTestExtensionOnPostgresTest extends WeirTestExtensionTest {

    @Override
    protected String expectedStore() {
        return "postgres";
    }
}
