package dev.weir.engine;

import dev.weir.engine.config.InstanceConfig.CacheValidation;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How one run goes: which stages or tasks, with which cache validation, reporting to whom.
 * Immutable; each {@code with}-style method returns a copy. One object may serve many runs: unless
 * given a run id, each run gets a fresh one.
 *
 * @param only            stage and task names to run; empty runs the whole flow
 * @param cacheValidation overrides the instance's cache validation, or null
 * @param listener        receives {@link RunEvent}s as the run goes, or null
 * @param runId           the run's id, or null for a fresh id per run ({@link Result#runId()} tells it).
 *                        An id given here should name one run: a stage's version is the id of the run
 *                        that committed it
 */
public record RunOptions(Set<String> only, CacheValidation cacheValidation, ActorRef<RunEvent> listener,
                         String runId) {

    public RunOptions {
        only = Set.copyOf(new LinkedHashSet<>(only));
        if (runId != null && runId.isBlank()) {
            throw new IllegalArgumentException("a run id must not be blank; pass null for a fresh id per run");
        }
    }

    public static RunOptions defaults() {
        return new RunOptions(Set.of(), null, null, null);
    }

    /** Runs only these stages (with their nested stages) and tasks. */
    public RunOptions only(String... stagesOrTasks) {
        return new RunOptions(new LinkedHashSet<>(Arrays.asList(stagesOrTasks)), cacheValidation, listener, runId);
    }

    public RunOptions cacheValidation(CacheValidation validation) {
        return new RunOptions(only, validation, listener, runId);
    }

    public RunOptions listener(ActorRef<RunEvent> events) {
        return new RunOptions(only, cacheValidation, events, runId);
    }

    /** Gives the run this id; null gives each run a fresh one (the default). */
    public RunOptions runId(String id) {
        return new RunOptions(only, cacheValidation, listener, id);
    }

    /** The options of one run: these, with a fresh run id unless they name one. */
    public RunOptions forRun() {
        return runId != null ? this : runId(newRunId());
    }

    static String newRunId() {
        return java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(java.time.LocalDateTime.now())
                + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
