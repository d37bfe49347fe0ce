package dev.weir.testkit;

/** {@link WeirTest} on PostgreSQL (the server of the PG* variables; skipped without one unless CI=true). */
@WeirTest(store = WeirTest.Store.POSTGRES)
class WeirTestExtensionOnPostgresTest extends WeirTestExtensionTest {

    @Override
    protected String expectedStore() {
        return "postgres";
    }
}
