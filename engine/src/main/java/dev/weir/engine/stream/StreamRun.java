package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * (task calls through the {@link BatchPlacement}) and report back in a message. Where a lane's outputs
 * all go on to one next task, the {@link Relay} takes them there on the thread where they were made,
 * in a slot this actor lent beforehand, and the actor only hears of it: it keeps the books — slots,
 * batches in flight, counts, failures — without a round trip between each task and the next. Every
 * batch held here is owned by exactly one queue entry, join slot, output or running trip; on failure or
 * cancellation all of them are closed, lent slots are taken back, running calls are awaited, and only
 * then does the run report its end.
 */
public final class StreamRun extends AbstractBehavior<StreamRun.Command> {

    public sealed interface Command {
    }

    /**
     * Asks for outputs. {@code reply} completes with every output queued (at least one) — or, when none
     * is, with the outputs of the next terminal trip to end, on the thread where it ended — with an empty
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

    // Sent only by this actor to itself, through its RunSource, and by its Relay.
    record Opened(Iterator<ArrowTable> iterator, Throwable error) implements Command {
    }

    /**
     * Batches pulled in one go: {@code tables} to queue, or, when they went on to the first lane by
     * themselves, the {@code relayed} trip that runs them; {@code exhausted}: the source has no more.
     */
    record Pulled(List<ArrowTable> tables, Trip relayed, boolean exhausted, Throwable error) implements Command {
    }

    record SourceClosed() implements Command {
    }

    private record Split(TaskLane lane, long batchId, TaskLane.Order order, String from, List<ArrowTable> parts,
                         Throwable error)
            implements Command {
    }

    /**
     * Every call of a trip has ended; its outputs went on as trip {@code onward}, if not null, or, when
     * {@code delivered}, to the reader in answer to its lent request.
     */
    record Finished(Trip trip, Trip onward, boolean delivered) implements Command {
    }

    private record Tick() implements Command {
    }

    /** Time to look for calls, and trips to the source, that have run past their timeout. */
    private record Watch() implements Command {
    }


    private final StreamGraph graph;
    private final RunSettings settings;
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
    private final InFlight live = new InFlight();
    private final StreamOutputs outputs = new StreamOutputs();
    private final CallTimeouts timeouts;

    private final Relay relay;
    private final RunSource source;
    private long seq;
    private int splitting;
    private StreamFailedException failure;
    private boolean cancelled;
    private boolean stopping;
    /** Trips handed to the placement whose end the run has not heard of yet. */
    private final Set<Trip> running = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Those of them with a call past its timeout: the run no longer waits for them, only frees what they bring. */
    private final Set<Trip> abandoned = Collections.newSetFromMap(new IdentityHashMap<>());

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
        this.blocking = blocking;
        this.allocator = allocator;
        this.listener = listener;
        this.done = done;
        this.timeouts = new CallTimeouts(graph);
        this.distinctLanes = TaskLane.plan(graph);
        distinctLanes.forEach(lane -> lane.tasks.forEach(task -> lanes.put(task, lane)));
        String first = TaskLane.onlyConsumer(graph, StreamGraph.SOURCE);
        TaskLane firstLane = first == null ? null : lanes.get(first);
        this.scheduler = new Scheduler(distinctLanes, lanes, firstLane, settings);
        this.joins = new Joins(lanes, distinctLanes, allocator);
        if (listener != null) {
            timers.startTimerAtFixedRate(new Tick(), settings.progressInterval());
        }
        timers.startTimerAtFixedRate(new Watch(), timeouts.watchInterval());
        this.relay = new Relay(context.getSelf(), placement, graph.context(), allocator, lanes, firstLane, outputs);
        this.source = new RunSource(context, source, allocator, blocking, relay);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Next.class, guard(this::onNext))
                .onMessage(Cancel.class, guard(this::onCancel))
                .onMessage(Opened.class, guard(this::onOpened))
                .onMessage(Pulled.class, guard(this::onPulled))
                .onMessage(SourceClosed.class, guard(this::onSourceClosed))
                .onMessage(Split.class, guard(this::onSplit))
                .onMessage(Finished.class, guard(this::onFinished))
                .onMessage(Tick.class, guard(this::onTick))
                .onMessage(Watch.class, guard(this::onWatch))
                .onSignal(PostStop.class, this::onPostStop)
                .build();
    }

    /**
     * {@code handler}, with an exception it throws failing the run the ordinary way — queued batches
     * closed, running calls awaited, the reader told — instead of stopping this actor with calls still
     * running, whose outputs nobody would then free. Should that fail too, {@code PostStop} ends the run.
     */
    private <M> org.apache.pekko.japi.function.Function<M, Behavior<Command>> guard(
            org.apache.pekko.japi.function.Function<M, Behavior<Command>> handler) {
        return msg -> {
            try {
                return handler.apply(msg);
            } catch (Exception e) {
                if (failure == null && !cancelled) {
                    failure = StreamFailedException.internal(e);
                }
                getContext().getLog().error("streaming run failed in its scheduler", e);
                stop();
                return maybeFinish();
            }
        };
    }

    // ---- consumer

    private Behavior<Command> onNext(Next msg) {
        for (long batchId : outputs.ask(msg.reply())) {
            release(batchId);
        }
        outputs.deliver();
        return pump();
    }

    private Behavior<Command> onCancel(Cancel msg) {
        if (!stopping) {
            cancelled = true;
            stop();
        }
        return pump();
    }

    // ---- source

    private Behavior<Command> onOpened(Opened msg) {
        if (source.abandoned()) {
            source.freeLate(msg);
            return pump();
        }
        source.opened(msg.error() == null ? msg.iterator() : null);
        if (msg.error() != null) {
            fail(StreamGraph.SOURCE, 0, msg.error());
        } else if (stopping) {
            source.close();
        }
        return pump();
    }

    private void maybePull() {
        // Pull in groups of half the room, not a batch at every freed slot: a group costs one pull, one trip
        // per task and one reply to the reader, and two groups in the run keep its tasks working side by side.
        int group = Math.max(1, settings.maxInFlight() / 2);
        if (stopping || !source.idle() || settings.maxInFlight() - live.size() < group) {
            return;
        }
        long left = settings.maxBatches() > 0 ? settings.maxBatches() - source.batches() : Long.MAX_VALUE;
        if (left <= 0) {
            source.close();
        } else {
            // Lend the first lane a slot first, so that the batches can go on to it where they are pulled.
            scheduler.lend(true);
            source.pull(Math.min(group, left));
        }
    }

    private Behavior<Command> onPulled(Pulled msg) {
        if (source.abandoned()) {
            source.freeLate(msg);
            if (msg.relayed() != null) {
                // Its calls run all the same; the run frees their outputs once they end.
                scheduler.taken(msg.relayed().lane);
                running.add(msg.relayed());
            }
            return pump();
        }
        if (msg.error() != null) {
            source.pulled(false);
            fail(StreamGraph.SOURCE, source.batches(), msg.error());
            return pump();
        }
        source.pulled(msg.exhausted());
        if (msg.relayed() != null) {
            Trip trip = msg.relayed();
            scheduler.taken(trip.lane);
            running.add(trip);
            for (int i = 0; i < trip.size(); i++) {
                source.number(trip.rowsIn(i));
                arrived(trip.lane, trip.ready.get(i).batchId());
            }
        }
        for (ArrowTable table : msg.tables()) {
            if (stopping) {
                table.close();
                continue;
            }
            long batchId = source.number(table.rowCount());
            hold(batchId);
            route(StreamGraph.SOURCE, graph.downstream(StreamGraph.SOURCE), batchId, TaskLane.Order.WHOLE, table);
            release(batchId);
        }
        if (stopping) {
            source.close();
        }
        return pump();
    }

    private Behavior<Command> onSourceClosed(SourceClosed msg) {
        if (source.abandoned()) {
            return pump();
        }
        source.closedNow();
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
        arrived(lane, batchId);
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
        if (!stopping) {
            scheduler.lend(source.pulling());
            outputs.lend();
        }
        return maybeFinish();
    }

    private void schedule() {
        if (stopping) {
            return;
        }
        if (scheduler.lendingInTheWay()) {
            scheduler.reclaim();
        }
        for (Scheduler.Pick pick = scheduler.next(); pick != null; pick = scheduler.next()) {
            Trip trip = new Trip(pick.lane(), pick.calls(), graph.context(), allocator);
            running.add(trip);
            relay.start(trip);
        }
    }

    private Behavior<Command> onFinished(Finished msg) {
        Trip trip = msg.trip();
        running.remove(trip);
        if (!abandoned.remove(trip)) {
            // An abandoned trip gave its slot back when the run gave up on it.
            scheduler.finished(trip.lane);
        }
        TaskLane onward = null;
        if (msg.onward() != null) {
            onward = msg.onward().lane;
            scheduler.taken(onward);
            running.add(msg.onward());
        }
        for (int i = 0; i < trip.size(); i++) {
            finished(trip, i, onward, msg.delivered());
        }
        if (msg.delivered()) {
            for (long read : outputs.delivered(trip.batchesWithOutput())) {
                release(read);
            }
        }
        return pump();
    }

    /**
     * Counts, routes or reports the outcome of call {@code i} of {@code trip}; an output that went on to
     * lane {@code onward} (when not null) is only booked there, one {@code delivered} to the reader
     * is held as handed over.
     */
    private void finished(Trip trip, int i, TaskLane onward, boolean delivered) {
        TaskLane lane = trip.lane;
        long batchId = trip.ready.get(i).batchId();
        BatchCall call = trip.call(i);
        ArrowTable output = trip.output(i);
        Throwable error = trip.error(i);
        if (!stopping) {
            lane.count(call, trip.rowsIn(i), error == null, trip.rowsOut(i));
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
        } else if (onward != null) {
            arrived(onward, batchId);
        } else if (delivered) {
            hold(batchId);
        } else if (stopping) {
            output.close();
        } else if (lane.isTerminal()) {
            hold(batchId);
            outputs.add(new BatchResult(batchId, lane.nextPart(batchId), lane.last(), output));
        } else {
            route(lane.last(), lane.downstream, batchId, trip.ready.get(i).order(), output);
        }
        lane.release(batchId);
        release(batchId);
        checkJoins(batchId);
    }

    // ---- bookkeeping, failure, end

    /** {@code batchId} has reached {@code lane}: queued, being split or running there. */
    private void arrived(TaskLane lane, long batchId) {
        lane.hold(batchId);
        hold(batchId);
    }

    private void hold(long batchId) {
        live.hold(batchId);
    }

    private void release(long batchId) {
        if (live.release(batchId)) {
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
        scheduler.reclaim();
        distinctLanes.forEach(TaskLane::closeAll);
        outputs.closeAll();
        live.clear();
        source.close();
    }

    private Behavior<Command> maybeFinish() {
        if (source.closed() && (stopping || live.isEmpty())) {
            scheduler.reclaim();
        }
        boolean idle = scheduler.running() == 0 && splitting == 0 && source.closed();
        if (!idle || (!stopping && !live.isEmpty())) {
            return this;
        }
        StreamProgress progress = snapshot();
        if (listener != null) {
            listener.tell(progress);
        }
        outputs.end(failure);
        if (failure != null) {
            done.completeExceptionally(failure);
        } else {
            StreamSummary summary = new StreamSummary(progress, cancelled);
            getContext().getLog().info(summary.line());
            done.complete(summary);
        }
        return StreamDrain.after(getContext(), abandoned, source, failure);
    }

    // ---- timeouts

    /**
     * Gives up on every trip with a call past its task's timeout, and on a trip to the source past the
     * run's {@code call-timeout}: the call is interrupted, and the run fails naming it and ends without
     * waiting for it, since user code that ignores interrupts could keep it forever. Whatever such a call
     * or source trip brings back later is freed then ({@link StreamDrain}).
     */
    private Behavior<Command> onWatch(Watch msg) {
        long now = System.nanoTime();
        for (Trip trip : List.copyOf(running)) {
            if (abandoned.contains(trip)) {
                continue;
            }
            for (int i = 0; i < trip.size(); i++) {
                BatchCall call = trip.call(i);
                String task = call.overdue(now, timeouts::boundNanos);
                if (task != null) {
                    abandoned.add(trip);
                    scheduler.finished(trip.lane);
                    trip.calls().forEach(BatchCall::cancel);
                    fail(task, call.batchId(), timeouts.exceeded(task));
                    break;
                }
            }
        }
        if (source.overdue(now, timeouts.boundNanos(StreamGraph.SOURCE))) {
            long batch = source.batches();
            source.abandon();
            fail(StreamGraph.SOURCE, batch, timeouts.exceeded(StreamGraph.SOURCE));
        }
        return pump();
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
        return new StreamProgress(Duration.ofNanos(System.nanoTime() - startNanos), source.batches(), source.rows(), stats,
                live.size(), live.peak(), scheduler.peakRunning());
    }

    private Behavior<Command> onPostStop(PostStop signal) {
        if (!done.isDone()) {
            // Stopped by an error in this actor itself: free what it holds and say so.
            distinctLanes.forEach(TaskLane::closeAll);
            outputs.closeAll();
            source.closeOnStop();
            IllegalStateException error = new IllegalStateException("the streaming run stopped unexpectedly", failure);
            outputs.end(error);
            done.completeExceptionally(error);
        }
        return this;
    }
}
