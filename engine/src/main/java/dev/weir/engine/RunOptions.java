package dev.weir.engine;

import dev.weir.engine.config.InstanceConfig.CacheValidation;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How one run goes: which stages or tasks, with which cache validation, reporting to whom.
 * Immutable; each {@code with}-style method returns a copy. One object may serve many runs: unless
 * given a run id, each run gets a fresh one.
 *
 * @param only            stage and task names to run; empty runs the whole flow
 * @param cacheValidation overrides the instance's cache validation, or null
 * @param cacheMode       overrides only the mode of the instance's cache validation (keeping its other
 *                        settings), or null; applied after {@code cacheValidation}
 * @param listener        receives {@link RunEvent}s as the run goes, or null
 * @param eventConsumer   called with each {@link RunEvent} as the run goes, or null; see
 *                        {@link #listener(Consumer)}. At most one of {@code listener} and {@code eventConsumer}
 *                        is set
 * @param runId           the run's id, or null for a fresh id per run ({@link Result#runId()} tells it).
 *                        An id given here should name one run: a stage's version is the id of the run
 *                        that committed it
 * @param chunkPlacement  where batched tasks' chunks run (e.g. the cluster module's worker nodes), or null to
 *                        run them in this JVM (the default)
 */
public record RunOptions(Set<String> only, CacheValidation cacheValidation, CacheValidation.Mode cacheMode,
                         ActorRef<RunEvent> listener, Consumer<RunEvent> eventConsumer,
                         String runId, dev.weir.engine.placement.ChunkPlacement chunkPlacement) {

    public RunOptions {
        only = Set.copyOf(new LinkedHashSet<>(only));
        if (runId != null && runId.isBlank()) {
            throw new IllegalArgumentException("a run id must not be blank; pass null for a fresh id per run");
        }
    }

    public static RunOptions defaults() {
        return new RunOptions(Set.of(), null, null, null, null, null, null);
    }

    /** Runs only these stages (with their nested stages) and tasks. */
    public RunOptions only(String... stagesOrTasks) {
        return new RunOptions(new LinkedHashSet<>(Arrays.asList(stagesOrTasks)), cacheValidation, cacheMode, listener,
                eventConsumer, runId, chunkPlacement);
    }

    /** Replaces the instance's whole cache validation (mode and flags) for this run. */
    public RunOptions cacheValidation(CacheValidation validation) {
        return new RunOptions(only, validation, cacheMode, listener, eventConsumer, runId, chunkPlacement);
    }

    /**
     * Runs with this cache validation mode, e.g. {@code cacheValidation(Mode.FORCE_CACHE_INVALID)}, keeping the
     * instance's other cache validation settings ({@code ignore_task_version}, {@code disable_cache_function}).
     */
    public RunOptions cacheValidation(CacheValidation.Mode mode) {
        return new RunOptions(only, cacheValidation, java.util.Objects.requireNonNull(mode, "mode is null"), listener,
                eventConsumer, runId, chunkPlacement);
    }

    /** The cache validation of a run on an instance whose own is {@code instance}. */
    public CacheValidation cacheValidationOn(CacheValidation instance) {
        CacheValidation base = cacheValidation != null ? cacheValidation : instance;
        return cacheMode != null ? base.withMode(cacheMode) : base;
    }

    /** Sends the run's events to this actor (replacing a consumer given to {@link #listener(Consumer)}). */
    public RunOptions listener(ActorRef<RunEvent> events) {
        return new RunOptions(only, cacheValidation, cacheMode, events, null, runId, chunkPlacement);
    }

    /**
     * Calls {@code events} with each of the run's {@link RunEvent}s, for a caller that does not use Pekko
     * (replacing an actor given to {@link #listener(ActorRef)}).
     *
     * <p>The consumer is called once per event, one event at a time and in the order the run emitted them,
     * from {@link RunEvent.RunStarted} (or {@link RunEvent.Waiting} while the run waits for its lock) to
     * {@link RunEvent.RunFinished}, on one dedicated thread per run named {@code weir-run-listener-<runId>},
     * never on an engine thread: a slow consumer delays only later events, not the run. The run's result may
     * complete before the consumer has seen {@code RunFinished}. An exception thrown by the consumer is logged
     * once per run and otherwise ignored: it never fails the run, and later events are still delivered.
     */
    public RunOptions listener(Consumer<RunEvent> events) {
        return new RunOptions(only, cacheValidation, cacheMode, null,
                java.util.Objects.requireNonNull(events, "events is null"), runId, chunkPlacement);
    }

    /** Gives the run this id; null gives each run a fresh one (the default). */
    public RunOptions runId(String id) {
        return new RunOptions(only, cacheValidation, cacheMode, listener, eventConsumer, id, chunkPlacement);
    }

    /**
     * Runs batched tasks' chunks with {@code placement}, e.g. on a cluster's worker nodes; null runs them in
     * this JVM. A chunk whose task reads an inlined table or a blob still runs here.
     */
    public RunOptions chunkPlacement(dev.weir.engine.placement.ChunkPlacement placement) {
        return new RunOptions(only, cacheValidation, cacheMode, listener, eventConsumer, runId, placement);
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
