package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The scheduler of one streaming run. Pulls source batches while fewer than {@code max-in-flight} are
 * in the run, starts ready task calls — lowest rank (closest to a terminal) first, then oldest batch —
 * within the run's and each task's parallelism and the resource budget, fans outputs out to downstream
 * tasks, joins the inputs of multi-input tasks per batch id, and hands terminal outputs to the consumer
 * in answer to {@link Next}, so a slow consumer slows the source down.
 *
 * <p>All run state is actor state. The source, splitting and task calls run on the blocking dispatcher
 * (task calls through the {@link BatchPlacement}) and report with {@code pipeToSelf}. Every batch held
 * here is owned by exactly one queue entry, join slot or output; on failure or cancellation all of them
 * are closed, running calls are awaited, and only then does the run report its end.
 */
public final class StreamRun extends AbstractBehavior<StreamRun.Command> {

    public sealed interface Command {
    }

    /**
     * Asks for outputs. {@code reply} completes with every output queued (at least one), with an empty
     * list once the run is done, or exceptionally with the run's failure. Asking again says that the
     * outputs of the previous reply have been read: their batches leave the run only then, so outputs in
     * the reader's hands still count towards {@code max-in-flight}. One outstanding request at a time;
     * local only.
     */
    record Next(CompletableFuture<List<BatchResult>> reply) implements Command {
    }

    /** The consumer stops reading: drop what is queued, let running calls end, then stop. */
    record Cancel() implements Command {
    }

    private record Opened(Iterator<ArrowTable> iterator, Throwable error) implements Command {
    }

    /** Batches pulled in one go (as many as there was room for); {@code exhausted}: the source has no more. */
    private record Pulled(List<ArrowTable> tables, boolean exhausted, Throwable error) implements Command {
    }

    /** What one trip to the source brings back. */
    private record Pull(List<ArrowTable> tables, boolean exhausted) {
    }

    private record SourceClosed() implements Command {
    }

    private record Split(TaskLane lane, long batchId, TaskLane.Order order, String from, List<ArrowTable> parts,
                         Throwable error)
            implements Command {
    }

    /** A trip has ended: {@code results} holds one completed stage per call. */
    private record Finished(Scheduler.Trip trip, List<BatchCall> calls, long[] rowsIn,
                            List<CompletionStage<ArrowTable>> results)
            implements Command {
    }

    private record Tick() implements Command {
    }

    private enum SourceState { OPENING, OPEN, PULLING, CLOSING, CLOSED }

    private final StreamGraph graph;
    private final RunSettings settings;
    private final BatchPlacement placement;
    private final Executor blocking;
    private final BufferAllocator allocator;
    private final ActorRef<StreamProgress> listener;
    private final CompletableFuture<StreamSummary> done;
    private final long startNanos = System.nanoTime();

    /** Every task's lane, by task name; the tasks of a fused chain share one. */
    private final Map<String, TaskLane> lanes = new HashMap<>();
    private final List<TaskLane> distinctLanes;
    private final Scheduler scheduler;
    private final Joins joins;
    /** Per source batch id still in the run: how many queue entries, calls, join parts and outputs hold it. */
    private final Map<Long, Integer> live = new HashMap<>();
    private final ArrayDeque<BatchResult> outputs = new ArrayDeque<>();

    private SourceState sourceState = SourceState.OPENING;
    private Iterator<ArrowTable> iterator;
    private long nextBatchId;
    private long sourceRows;
    private long seq;
    private int splitting;
    private int peakInFlight;
    private CompletableFuture<List<BatchResult>> waiter;
    /** The batch ids of the outputs last handed to the reader, held until it asks again. */
    private long[] handedOver = new long[0];
    private StreamFailedException failure;
    private boolean cancelled;
    private boolean stopping;

    static Behavior<Command> create(StreamGraph graph, BatchSource source, BatchPlacement placement,
                                    Executor blocking, BufferAllocator allocator, ActorRef<StreamProgress> listener,
                                    CompletableFuture<StreamSummary> done) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new StreamRun(ctx, timers, graph, source, placement, blocking, allocator, listener, done)));
    }

    private StreamRun(ActorContext<Command> context, TimerScheduler<Command> timers, StreamGraph graph,
                      BatchSource source, BatchPlacement placement, Executor blocking, BufferAllocator allocator,
                      ActorRef<StreamProgress> listener, CompletableFuture<StreamSummary> done) {
        super(context);
        this.graph = graph;
        this.settings = graph.runSettings();
        this.placement = placement;
        this.blocking = blocking;
        this.allocator = allocator;
        this.listener = listener;
        this.done = done;
        this.distinctLanes = TaskLane.plan(graph);
        distinctLanes.forEach(lane -> lane.tasks.forEach(task -> lanes.put(task, lane)));
        this.scheduler = new Scheduler(distinctLanes, settings);
        this.joins = new Joins(lanes, distinctLanes, allocator);
        if (listener != null) {
            timers.startTimerAtFixedRate(new Tick(), settings.progressInterval());
        }
        context.pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return source.open(allocator);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, blocking), Opened::new);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Next.class, this::onNext)
                .onMessage(Cancel.class, this::onCancel)
                .onMessage(Opened.class, this::onOpened)
                .onMessage(Pulled.class, this::onPulled)
                .onMessage(SourceClosed.class, this::onSourceClosed)
                .onMessage(Split.class, this::onSplit)
                .onMessage(Finished.class, this::onFinished)
                .onMessage(Tick.class, this::onTick)
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    // ---- consumer

    private Behavior<Command> onNext(Next msg) {
        if (waiter != null) {
            msg.reply().completeExceptionally(new IllegalStateException(
                    "next() was called while another call was waiting; read a run's results from one consumer"));
            return this;
        }
        for (long batchId : handedOver) {
            release(batchId);
        }
        handedOver = new long[0];
        waiter = msg.reply();
        deliver();
        return pump();
    }

    private Behavior<Command> onCancel(Cancel msg) {
        if (!stopping) {
            cancelled = true;
            stop();
        }
        return pump();
    }

    private void deliver() {
        if (waiter == null || outputs.isEmpty()) {
            return;
        }
        CompletableFuture<List<BatchResult>> reply = waiter;
        waiter = null;
        List<BatchResult> taken = new ArrayList<>(outputs);
        outputs.clear();
        handedOver = taken.stream().mapToLong(BatchResult::batchId).toArray();
        reply.complete(taken);
    }

    // ---- source

    private Behavior<Command> onOpened(Opened msg) {
        if (msg.error() != null) {
            sourceState = SourceState.CLOSED;
            fail(StreamGraph.SOURCE, 0, msg.error());
            return pump();
        }
        iterator = msg.iterator();
        sourceState = SourceState.OPEN;
        if (stopping) {
            closeSource();
        }
        return pump();
    }

    private void maybePull() {
        if (stopping || sourceState != SourceState.OPEN || live.size() >= settings.maxInFlight()) {
            return;
        }
        if (settings.maxBatches() > 0 && nextBatchId >= settings.maxBatches()) {
            closeSource();
            return;
        }
        sourceState = SourceState.PULLING;
        Iterator<ArrowTable> it = iterator;
        // Take every batch there is room for in one trip: a round trip per batch would cost more than the batch.
        long room = settings.maxInFlight() - live.size();
        if (settings.maxBatches() > 0) {
            room = Math.min(room, settings.maxBatches() - nextBatchId);
        }
        long wanted = room;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> pull(it, wanted), blocking),
                (pull, error) -> error != null ? new Pulled(List.of(), false, error)
                        : new Pulled(pull.tables(), pull.exhausted(), null));
    }

    /** Blocking: up to {@code wanted} batches from the source; closes it when it is exhausted. */
    private static Pull pull(Iterator<ArrowTable> it, long wanted) {
        List<ArrowTable> tables = new ArrayList<>();
        try {
            while (tables.size() < wanted) {
                if (!it.hasNext()) {
                    closeQuietly(it);
                    return new Pull(tables, true);
                }
                tables.add(it.next());
            }
            return new Pull(tables, false);
        } catch (RuntimeException e) {
            tables.forEach(ArrowTable::close);
            throw e;
        }
    }

    private Behavior<Command> onPulled(Pulled msg) {
        if (msg.error() != null) {
            sourceState = SourceState.OPEN;
            fail(StreamGraph.SOURCE, nextBatchId, msg.error());
            return pump();
        }
        sourceState = msg.exhausted() ? SourceState.CLOSED : SourceState.OPEN;
        for (ArrowTable table : msg.tables()) {
            if (stopping) {
                table.close();
                continue;
            }
            long batchId = nextBatchId++;
            sourceRows += table.rowCount();
            hold(batchId);
            route(StreamGraph.SOURCE, graph.downstream(StreamGraph.SOURCE), batchId, TaskLane.Order.WHOLE, table);
            release(batchId);
        }
        if (stopping) {
            closeSource();
        }
        return pump();
    }

    private void closeSource() {
        if (sourceState != SourceState.OPEN) {
            return;
        }
        sourceState = SourceState.CLOSING;
        Iterator<ArrowTable> it = iterator;
        getContext().pipeToSelf(CompletableFuture.runAsync(() -> closeQuietly(it), blocking),
                (ok, error) -> new SourceClosed());
    }

    private Behavior<Command> onSourceClosed(SourceClosed msg) {
        sourceState = SourceState.CLOSED;
        return pump();
    }

    // ---- moving batches

    /** Hands {@code table} (owned) to each of {@code targets}, sharing its buffers. */
    private void route(String from, List<String> targets, long batchId, TaskLane.Order order, ArrowTable table) {
        List<ArrowTable> shares;
        try {
            shares = Batches.share(table, targets.size(), allocator);
        } catch (RuntimeException e) {
            fail(from, batchId, e);
            return;
        }
        for (int i = 0; i < targets.size(); i++) {
            offer(lanes.get(targets.get(i)), from, batchId, order, shares.get(i));
        }
    }

    private void offer(TaskLane lane, String from, long batchId, TaskLane.Order order, ArrowTable table) {
        if (lane.isJoin()) {
            lane.arrive(batchId, from, order, table);
            lane.hold(batchId);
            hold(batchId);
        } else {
            enqueue(lane, batchId, order, Map.of(from, table));
        }
    }

    private void enqueue(TaskLane lane, long batchId, TaskLane.Order order, Map<String, ArrowTable> inputs) {
        lane.hold(batchId);
        hold(batchId);
        int maxRows = lane.settings.maxRows();
        if (maxRows > 0 && inputs.size() == 1 && inputs.values().iterator().next().rowCount() > maxRows) {
            String from = inputs.keySet().iterator().next();
            ArrowTable table = inputs.get(from);
            splitting++;
            getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> Batches.split(table, maxRows), blocking),
                    (parts, error) -> new Split(lane, batchId, order, from, parts, error));
            return;
        }
        lane.ready.add(new TaskLane.Ready(batchId, seq++, order, inputs));
    }

    private Behavior<Command> onSplit(Split msg) {
        splitting--;
        if (msg.error() != null) {
            fail(msg.lane().name, msg.batchId(), msg.error());
        } else if (stopping) {
            msg.parts().forEach(ArrowTable::close);
        } else {
            for (int i = 0; i < msg.parts().size(); i++) {
                msg.lane().hold(msg.batchId());
                hold(msg.batchId());
                msg.lane().ready.add(new TaskLane.Ready(msg.batchId(), seq++, msg.order().part(i),
                        Map.of(msg.from(), msg.parts().get(i))));
            }
        }
        msg.lane().release(msg.batchId());
        release(msg.batchId());
        checkJoins(msg.batchId());
        return pump();
    }

    /** Starts a join's call for {@code batchId} once no task upstream of any of its inputs still holds it. */
    private void checkJoins(long batchId) {
        if (stopping) {
            return;
        }
        for (Joins.Joined joined : joins.complete(batchId)) {
            if (joined.error() != null) {
                fail(joined.lane().name, batchId, joined.error());
            } else if (joined.inputs() != null) {
                enqueue(joined.lane(), batchId, TaskLane.Order.WHOLE, joined.inputs());
            }
            for (int i = 0; i < joined.parts(); i++) {
                joined.lane().release(batchId);
                release(batchId);
            }
        }
    }

    // ---- running calls

    private Behavior<Command> pump() {
        schedule();
        maybePull();
        return maybeFinish();
    }

    private void schedule() {
        while (!stopping) {
            Scheduler.Trip trip = scheduler.next();
            if (trip == null) {
                return;
            }
            start(trip);
        }
    }

    private void start(Scheduler.Trip trip) {
        TaskLane lane = trip.lane();
        List<BatchCall> calls = new ArrayList<>(trip.calls().size());
        long[] rowsIn = new long[trip.calls().size()];
        for (int i = 0; i < rowsIn.length; i++) {
            TaskLane.Ready ready = trip.calls().get(i);
            rowsIn[i] = ready.rows();
            calls.add(new BatchCall(lane.name, ready.batchId(), ready.inputs(), graph.context(), allocator,
                    lane.function, lane.then));
        }
        List<CompletionStage<ArrowTable>> results;
        try {
            results = placement.submitAll(calls);
        } catch (RuntimeException e) {
            results = calls.stream().map(c -> (CompletionStage<ArrowTable>) CompletableFuture.<ArrowTable>failedFuture(e))
                    .toList();
        }
        List<CompletionStage<ArrowTable>> stages = results;
        CompletableFuture<?> all = stages.size() == 1 ? stages.get(0).toCompletableFuture()
                : CompletableFuture.allOf(stages.stream().map(CompletionStage::toCompletableFuture)
                        .toArray(CompletableFuture[]::new));
        getContext().pipeToSelf(all, (ok, error) -> new Finished(trip, calls, rowsIn, stages));
    }

    private Behavior<Command> onFinished(Finished msg) {
        TaskLane lane = msg.trip().lane();
        scheduler.finished(lane);
        for (int i = 0; i < msg.calls().size(); i++) {
            CompletableFuture<ArrowTable> result = msg.results().get(i).toCompletableFuture();
            ArrowTable output = null;
            Throwable error = null;
            try {
                output = result.getNow(null);
            } catch (CompletionException | CancellationException e) {
                error = e;
            }
            finished(lane, msg.trip().calls().get(i), msg.calls().get(i), msg.rowsIn()[i], output, error);
        }
        return pump();
    }

    /** Counts, routes or reports the outcome of one call of a trip. */
    private void finished(TaskLane lane, TaskLane.Ready ready, BatchCall call, long rowsIn, ArrowTable output,
                          Throwable error) {
        long batchId = ready.batchId();
        if (!stopping) {
            count(lane, call, rowsIn, output);
        }
        if (error != null) {
            int step = Math.min(call.stepsDone(), lane.tasks.size() - 1);
            String task = call.failedTask();
            if (lane.onError(step) == OnError.SKIP && !stopping) {
                lane.skipped(step, batchId);
                getContext().getLog().warn("task '{}' failed on batch {}; skipping it (on-error = skip): {}",
                        task, batchId, unwrap(error).toString());
            } else {
                fail(task, batchId, error);
            }
        } else if (stopping) {
            output.close();
        } else if (lane.isTerminal()) {
            outputs.add(new BatchResult(batchId, lane.nextPart(batchId), lane.tasks.get(lane.tasks.size() - 1), output));
            hold(batchId);
            deliver();
        } else {
            route(lane.tasks.get(lane.tasks.size() - 1), lane.downstream, batchId, ready.order(), output);
        }
        lane.release(batchId);
        release(batchId);
        checkJoins(batchId);
    }

    /**
     * Counts the tasks of the call that returned an output. A call run elsewhere (a remote placement)
     * reports no steps here; when it succeeded, every task of it is counted, with the rows known: the
     * first task's input and the last one's output.
     */
    private static void count(TaskLane lane, BatchCall call, long rowsIn, ArrowTable output) {
        int steps = lane.tasks.size();
        boolean elsewhere = output != null && call.stepsDone() < steps;
        long in = rowsIn;
        for (int step = 0; step < (elsewhere ? steps : call.stepsDone()); step++) {
            long out = !elsewhere ? call.rowsOut(step) : step == steps - 1 ? output.rowCount() : 0;
            lane.finished(step, in, out);
            in = out;
        }
    }

    // ---- bookkeeping, failure, end

    private void hold(long batchId) {
        live.merge(batchId, 1, Integer::sum);
        peakInFlight = Math.max(peakInFlight, live.size());
    }

    private void release(long batchId) {
        if (live.computeIfPresent(batchId, (k, n) -> n == 1 ? null : n - 1) == null) {
            distinctLanes.forEach(lane -> lane.parts.remove(batchId));
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    private void fail(String task, long batchId, Throwable error) {
        Throwable cause = unwrap(error);
        if (failure == null && !cancelled) {
            failure = new StreamFailedException(task, batchId, cause);
            getContext().getLog().error("streaming run failed: {}", failure.getMessage());
        }
        stop();
    }

    /** Drops every queued batch, join part and output; running calls and source pulls finish on their own. */
    private void stop() {
        stopping = true;
        distinctLanes.forEach(TaskLane::closeAll);
        outputs.forEach(BatchResult::close);
        outputs.clear();
        live.clear();
        closeSource();
    }

    private Behavior<Command> maybeFinish() {
        boolean idle = scheduler.running() == 0 && splitting == 0 && sourceState == SourceState.CLOSED;
        if (!idle || (!stopping && !live.isEmpty())) {
            return this;
        }
        StreamProgress progress = snapshot();
        if (listener != null) {
            listener.tell(progress);
        }
        if (failure != null) {
            if (waiter != null) {
                waiter.completeExceptionally(failure);
            }
            done.completeExceptionally(failure);
        } else {
            StreamSummary summary = new StreamSummary(progress, cancelled);
            getContext().getLog().info(summary.line());
            if (waiter != null) {
                waiter.complete(List.of());
            }
            done.complete(summary);
        }
        waiter = null;
        return Behaviors.stopped();
    }

    private Behavior<Command> onTick(Tick msg) {
        listener.tell(snapshot());
        return this;
    }

    private StreamProgress snapshot() {
        Map<String, TaskStats> stats = new LinkedHashMap<>();
        for (String task : graph.tasks()) {
            TaskLane lane = lanes.get(task);
            stats.put(task, lane.stats(lane.tasks.indexOf(task)));
        }
        return new StreamProgress(Duration.ofNanos(System.nanoTime() - startNanos), nextBatchId, sourceRows, stats,
                live.size(), peakInFlight, scheduler.peakRunning());
    }

    private Behavior<Command> onPostStop(PostStop signal) {
        if (!done.isDone()) {
            // Stopped by an error in this actor itself: free what it holds and say so.
            distinctLanes.forEach(TaskLane::closeAll);
            outputs.forEach(BatchResult::close);
            if (iterator != null && sourceState == SourceState.OPEN) {
                closeQuietly(iterator);
            }
            IllegalStateException error = new IllegalStateException("the streaming run stopped unexpectedly");
            if (waiter != null) {
                waiter.completeExceptionally(error);
            }
            done.completeExceptionally(error);
        }
        return this;
    }

    private static void closeQuietly(Object resource) {
        if (resource instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception ignored) {
                // The source is done with; a failure to close it changes nothing the run reports.
            }
        }
    }
}
