package dev.weir.stores.postgres;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test class's PostgreSQL store with one stage begun: tests write into its transaction schema. Every
 * test gets a fresh allocator that fails the test when a buffer leaks; the schemas go at the end.
 */
@ExtendWith(PostgresTestServer.Required.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PostgresStageFixture {

    private final String instance;
    private final String stage;
    PostgresTestServer server;
    PostgresTableStore store;
    /** The begun stage's transaction schema. */
    String schema;
    BufferAllocator allocator;

    PostgresStageFixture(String instance, String stage) {
        this.instance = instance;
        this.stage = stage;
    }

    @BeforeAll
    void openStore() {
        server = PostgresTestServer.require();
        store = server.open(instance);
        store.beginStage(stage);
        schema = store.transactionSchema(stage);
    }

    @AfterAll
    void closeStore() throws Exception {
        if (store != null) {
            store.close();
            server.dropAll();
        }
    }

    @BeforeEach
    void newAllocator() {
        allocator = new RootAllocator();
    }

    @AfterEach
    void closeAllocator() {
        allocator.close(); // throws when a buffer leaked
    }
}
