package dev.weir.engine.report;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskId;
import dev.weir.engine.TaskResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Records when each task of one run started and finished, and how far its chunks got, from the run's
 * {@link RunEvent}s: pass it as the run's listener ({@code RunOptions.defaults().listener(timeline)}, or
 * {@code listener(timeline.andThen(other))}) and give it to {@link HtmlReport#run} for the page's
 * timeline.
 *
 * <p>Times are taken when an event arrives, on the listener's thread, relative to the run's first event:
 * a bar starts at its task's {@code TaskStarted} and ends at its {@code TaskFinished}. A task that never
 * started (a cache hit, a skipped task) has no bar. Thread-safe: events are recorded on one thread and
 * read on another. One timeline records one run.
 */
public final class RunTimeline implements java.util.function.Consumer<RunEvent> {

    private final LongSupplier nanoClock;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Map<TaskId, List<Span>> spans = new LinkedHashMap<>();
    private final Map<TaskId, Long> openSince = new LinkedHashMap<>();
    private final Map<TaskId, Chunks> chunks = new LinkedHashMap<>();
    private long origin = -1;
    private double runSeconds = -1;

    public RunTimeline() {
        this(System::nanoTime);
    }

    /** A timeline reading time from {@code nanoClock} (tests). */
    RunTimeline(LongSupplier nanoClock) {
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock is null");
    }

    /**
     * One attempt of a task, in seconds since the run's first event.
     *
     * @param attempt its number, from 1
     * @param start   when it started
     * @param end     when it finished
     * @param outcome how the task ended when this attempt finished it, or null for an attempt that was
     *                retried
     */
    public record Span(int attempt, double start, double end, dev.weir.engine.TaskState outcome) {
    }

    /**
     * How far a batched task's chunks got: {@code done} of {@code total}, {@code rows} rows so far, in
     * {@code seconds}.
     */
    public record Chunks(int done, int total, long rows, double seconds) {
    }

    @Override
    public synchronized void accept(RunEvent event) {
        long now = nanoClock.getAsLong();
        if (origin < 0) {
            origin = now;
        }
        double at = (now - origin) / 1e9;
        if (event instanceof RunEvent.TaskStarted started) {
            TaskId id = new TaskId(started.stage(), started.task());
            Long open = openSince.put(id, now);
            if (open != null) {
                // a retry: the attempt before it ended when this one started
                add(id, new Span(started.attempt() - 1, (open - origin) / 1e9, at, null));
            }
        } else if (event instanceof RunEvent.TaskFinished done) {
            TaskResult result = done.result();
            TaskId id = new TaskId(result.stage(), result.task());
            Long open = openSince.remove(id);
            if (open != null) {
                add(id, new Span(Math.max(1, result.attempts()), (open - origin) / 1e9, at, result.state()));
            }
        } else if (event instanceof RunEvent.ChunkFinished chunk) {
            chunks.put(new TaskId(chunk.stage(), chunk.task()),
                    new Chunks(chunk.done(), chunk.total(), chunk.rows(), chunk.seconds()));
        } else if (event instanceof RunEvent.RunFinished) {
            runSeconds = at;
            finished.countDown();
        }
    }

    private void add(TaskId id, Span span) {
        spans.computeIfAbsent(id, k -> new ArrayList<>()).add(span);
    }

    /**
     * Waits until the run's {@code RunFinished} event was recorded, at most {@code timeout}: the run's
     * result may complete before its listener has seen its last events. Returns whether it was.
     */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The attempts of a task that started, in order; empty for a task that never started. */
    public synchronized List<Span> spans(TaskId task) {
        return List.copyOf(spans.getOrDefault(task, List.of()));
    }

    /** The last chunk progress of a batched task, or null. */
    public synchronized Chunks chunks(TaskId task) {
        return chunks.get(task);
    }

    /** Seconds from the run's first event to its last, or from its first to its latest recorded span end. */
    public synchronized double seconds() {
        if (runSeconds >= 0) {
            return runSeconds;
        }
        return spans.values().stream().flatMap(List::stream).mapToDouble(Span::end).max().orElse(0);
    }
}
