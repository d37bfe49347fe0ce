package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine's behaviour tests share: a {@link FlowTestKit} in a temporary directory for each
 * test, the instance {@code mini} the test runs on, and the kit's leak check when the test ends.
 */
abstract class FlowKitTest {

    @TempDir
    Path dir;
    FlowTestKit kit;
    InstanceConfig mini;

    /** The instance tests run on; a test class for another store overrides it. */
    protected InstanceConfig instance(FlowTestKit testKit) {
        return testKit.instance("mini");
    }

    @BeforeEach
    void startKit() {
        kit = FlowTestKit.create(dir);
        mini = instance(kit);
    }

    /** Closes the kit, which fails the test when a run leaked Arrow memory. */
    @AfterEach
    void stopKit() {
        kit.close();
    }
}
