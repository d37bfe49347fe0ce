package dev.weir.engine.stream;

import org.apache.arrow.memory.RootAllocator;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * What the streaming tests share: one actor test kit per test class (hence one instance per class), and
 * per test a fresh executor on an
 * allocator that is closed after the test. Arrow throws there when a buffer was left unfreed, so every
 * test is also a leak test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StreamExecutorFixture {

    protected ActorTestKit testKit;

    protected RootAllocator allocator;
    protected StreamExecutor executor;

    @BeforeAll
    void startTestKit() {
        testKit = ActorTestKit.create();
    }

    @BeforeEach
    void startExecutor() {
        allocator = new RootAllocator();
        executor = new StreamExecutor(testKit.system(), allocator);
    }

    @AfterEach
    void noLeaks() {
        allocator.close();
    }

    @AfterAll
    void shutdown() {
        testKit.shutdownTestKit();
    }
}
