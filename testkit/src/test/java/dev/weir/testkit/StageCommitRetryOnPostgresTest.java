package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The stage commit retry tests on PostgreSQL (the PG* variables' server, else an embedded one). Skipped
 * without one, except under CI=true, where the server must be there.
 */
class StageCommitRetryOnPostgresTest extends StageCommitRetryTest {

    @Override
    protected InstanceConfig instance(FlowTestKit kit) {
        return kit.postgresInstance("commit_retry");
    }

    /**
     * The fault found by hand: every session of the database ended right after the stage's COMMIT
     * (pooled connections and the lock's session alike). The stage is reported committed, not aborted,
     * and committed once; the run's next store calls find fresh connections and its lock taken again.
     */
    @Test
    void aCommitWhoseSessionsAreEndedRightAfterItCommittedIsReportedCommitted() {
        var faulty = faulty(CommitFaultStore.Fault.SESSIONS_ENDED_AFTER_COMMIT);

        FlowRunRecord run = kit.run(flow(), faulty.getKey());

        assertTrue(run.successful(), () -> run.result().toJson());
        assertEquals(List.of("raw", "scored"), run.committedStages());
        assertEquals(List.of(), abortedStages(run));
        assertEquals(1, faulty.getValue().calls.get(), "the commit that landed was not tried again");
        assertAllCacheHits();
    }
}
