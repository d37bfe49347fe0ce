package dev.weir.examples.readme;

import static dev.weir.examples.readme.ReadmeFlows.flow;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.testkit.FlowTestKit;
import dev.weir.testkit.WeirTest;
import org.junit.jupiter.api.Test;

// README "Testing your flows", second example, verbatim.
@WeirTest                                   // @WeirTest(store = WeirTest.Store.POSTGRES): on the PG* server
class SalesFlowTest {
    @Test
    void runs(FlowTestKit kit, InstanceConfig mini) {
        assertTrue(kit.run(flow("1.0"), mini).successful());
    }
}
