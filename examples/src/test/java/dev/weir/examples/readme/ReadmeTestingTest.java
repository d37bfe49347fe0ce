package dev.weir.examples.readme;

import static dev.weir.examples.readme.ReadmeFlows.flow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weir.engine.TaskId;
import dev.weir.testkit.FlowRunRecord;
import dev.weir.testkit.FlowTestKit;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** README "Testing your flows", first example, verbatim, run on the README's flow. */
class ReadmeTestingTest {

    @TempDir Path dir;

    @Test
    void aVersionBumpRerunsOnlyDownstream() {
        try (FlowTestKit kit = FlowTestKit.create(dir)) {
            kit.run(flow("1.0"), kit.instance("mini"));
            FlowRunRecord again = kit.run(flow("1.1"), kit.instance("mini"));
            assertEquals(Set.of(new TaskId("clean", "score")), again.ranIds());   // ran(): bare names
            assertEquals(Set.of(new TaskId("raw", "load_orders"), new TaskId("clean", "valid_orders")),
                    again.cacheHitIds());
        }
    }
}
