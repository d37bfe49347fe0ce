package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.config.InstanceConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run API tests on PostgreSQL (the PG* variables' server, else an embedded one; skipped without one unless CI=true). */
class RunApiOnPostgresTest extends RunApiTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("api");
    }

    /** Besides the names no store holds: one byte over PostgreSQL's 63 (hides the inherited source). */
    static List<String> unstorableTableNames() {
        return List.of("nul\u0000char", "t".repeat(64));
    }

    @Test
    void aStageNameTooLongWithTheInstancePrefixFailsTheRunBeforeAnythingRuns() {
        String stage = "s".repeat(60);
        Flow flow = Flow.define("long", f -> {
            f.stage("first").task("first").version("1").cache(ctx -> calls.incrementAndGet())
                    .produces(ctx -> (long) calls.incrementAndGet());
            f.stage(stage).task("second").version("1").produces(ctx -> (long) calls.incrementAndGet());
        });

        FlowRunRecord run = kit.run(flow, mini);

        assertFalse(run.successful());
        String message = run.result().failure().orElseThrow().getMessage();
        assertTrue(message.contains("'" + stage + "'") && message.contains("63 bytes"), message);
        assertEquals(0, calls.get(), "neither a cache function nor a task ran");
        assertTrue(run.committedStages().isEmpty());
    }
}
