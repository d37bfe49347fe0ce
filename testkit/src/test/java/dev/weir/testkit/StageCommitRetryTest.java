package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Ref;
import dev.weir.engine.RunEvent;
import dev.weir.engine.Stage;
import dev.weir.engine.Table;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import dev.weir.engine.data.Rows;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stage's commit that fails transiently is retried under the instance's retry policy, and one that
 * failed after it committed (the acknowledgement of its COMMIT lost) is found committed, not committed
 * twice nor reported aborted. Runs on every store: {@link StageCommitRetryOnDuckDbTest} and
 * {@link StageCommitRetryOnPostgresTest}.
 */
abstract class StageCommitRetryTest extends FlowKitTest {

    private static final RetryPolicy RETRY = new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(20));

    @Override
    protected abstract InstanceConfig instance(FlowTestKit kit);

    @BeforeEach
    void boundRuns() {
        kit.timeout(Duration.ofSeconds(60));
    }

    static Flow flow() {
        return Flow.define("commit_retry", f -> {
            Ref raw = f.stage("raw").task("numbers").version("1").produces(ctx -> {
                Rows.Builder b = Rows.builder("id");
                for (long i = 0; i < 20; i++) {
                    b.add(i);
                }
                return Table.of(b.build(), "numbers");
            }).ref();
            Stage scored = f.stage("scored");
            scored.task("score").version("1").input("in", raw, Rows.class)
                    .produces(ctx -> Table.of(ctx.input("in", Rows.class), "scores"));
        });
    }

    Map.Entry<InstanceConfig, CommitFaultStore.Counts> faulty(CommitFaultStore.Fault fault) {
        return CommitFaultStore.around(mini.withRetry(RETRY), "scored", fault);
    }

    static List<String> abortedStages(FlowRunRecord run) {
        return run.events().stream().filter(e -> e instanceof RunEvent.StageAborted)
                .map(e -> ((RunEvent.StageAborted) e).stage()).toList();
    }

    private static String failure(FlowRunRecord run) {
        return run.result().failure().map(Throwable::getMessage).orElse("");
    }

    /** The next run of the flow, on the plain store, finds every task in the cache. */
    void assertAllCacheHits() {
        FlowRunRecord again = kit.run(flow(), mini);
        assertTrue(again.successful(), () -> again.result().toJson());
        assertEquals(Set.of("numbers", "score"), again.cacheHits(), () -> again.result().toJson());
        assertEquals(Set.of(), again.ran());
    }

    @Test
    void aCommitFailingTransientlyBeforeItCommitsIsRetriedAndCommitsOnce() {
        var faulty = faulty(CommitFaultStore.Fault.TRANSIENT_ONCE);

        FlowRunRecord run = kit.run(flow(), faulty.getKey());

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of("raw", "scored"), run.committedStages());
        assertEquals(List.of(), abortedStages(run));
        assertEquals(2, faulty.getValue().calls.get(), "one failed attempt, one retry");
        assertEquals(1, faulty.getValue().committed.get(), "the stage committed once");
        assertAllCacheHits();
    }

    @Test
    void aCommitThatCommittedAndThenFailedTransientlyIsReportedCommittedAndNotCommittedAgain() {
        var faulty = faulty(CommitFaultStore.Fault.LOST_ACKNOWLEDGEMENT);

        FlowRunRecord run = kit.run(flow(), faulty.getKey());

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of("raw", "scored"), run.committedStages());
        assertEquals(List.of(), abortedStages(run), "the stage committed: it was not aborted");
        assertEquals(1, faulty.getValue().calls.get(), "the commit that landed was not tried again");
        assertEquals(1, faulty.getValue().committed.get());
        assertAllCacheHits();
    }

    @Test
    void aCommitFailingForGoodFailsTheRunAtOnce() {
        var faulty = faulty(CommitFaultStore.Fault.REFUSED);

        FlowRunRecord run = kit.run(flow(), faulty.getKey());

        assertFalse(run.successful());
        assertEquals(List.of("raw"), run.committedStages());
        assertEquals(List.of("scored"), abortedStages(run));
        assertTrue(failure(run).contains("refuses to commit stage 'scored'"), failure(run));
        assertEquals(1, faulty.getValue().calls.get(), "a failure for good is not retried");
        assertEquals(0, faulty.getValue().committed.get());
        FlowRunRecord again = kit.run(flow(), mini);
        assertTrue(again.successful(), () -> again.result().toJson());
        assertEquals(Set.of("score"), again.ran(), "nothing of the stage was committed");
    }

    @Test
    void aCommitFailingTransientlyOnEveryAttemptFailsTheRunAfterThePolicysAttempts() {
        var faulty = faulty(CommitFaultStore.Fault.TRANSIENT_ALWAYS);

        FlowRunRecord run = kit.run(flow(), faulty.getKey());

        assertFalse(run.successful());
        assertEquals(List.of("raw"), run.committedStages());
        assertEquals(List.of("scored"), abortedStages(run));
        assertEquals(RETRY.maxAttempts(), faulty.getValue().calls.get(), "every attempt of the policy was made");
        assertEquals(0, faulty.getValue().committed.get());
        String error = failure(run);
        assertTrue(error.contains("stage 'scored'"), error);
        assertTrue(error.contains("after 3 attempts"), error);
        assertTrue(error.contains("connection reset (call 3)"), "names the last error: " + error);
        FlowRunRecord again = kit.run(flow(), mini);
        assertTrue(again.successful(), () -> again.result().toJson());
        assertEquals(Set.of("score"), again.ran(), "nothing of the stage was committed");
    }
}
