package dev.weir.engine;

import dev.weir.engine.config.InstanceConfig.CacheValidation;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How one run goes: which stages or tasks, with which cache validation, reporting to whom.
 * Immutable; each {@code with}-style method returns a copy.
 *
 * @param only            stage and task names to run; empty runs the whole flow
 * @param cacheValidation overrides the instance's cache validation, or null
 * @param listener        receives {@link RunEvent}s as the run goes, or null
 * @param runId           the run's id
 */
public record RunOptions(Set<String> only, CacheValidation cacheValidation, ActorRef<RunEvent> listener,
                         String runId) {

    public RunOptions {
        only = Set.copyOf(new LinkedHashSet<>(only));
        Objects.requireNonNull(runId, "runId is null");
    }

    public static RunOptions defaults() {
        return new RunOptions(Set.of(), null, null, newRunId());
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

    public RunOptions runId(String id) {
        return new RunOptions(only, cacheValidation, listener, id);
    }

    static String newRunId() {
        return java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").format(java.time.LocalDateTime.now())
                + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
