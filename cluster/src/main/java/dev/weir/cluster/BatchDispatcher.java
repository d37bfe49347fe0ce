package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.runtime.Engine;
import dev.weir.engine.stream.BatchCall;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The coordinator's side of {@link ClusterBatchPlacement}: learns the {@link BatchWorker}s from the
 * Receptionist, and hands each call to the worker with the most free slots. A call's inputs stay here,
 * owned by the call, until it has ended: each attempt offers a view of them (shared buffers) on this
 * node's side channel, so that an attempt lost with its worker can be sent again, with the next attempt
 * number, to another worker. The output is pulled from the worker's channel and belongs to the run.
 *
 * <p>Transient: a worker that leaves or stops, an input or output that cannot be pulled, a refusal
 * (other code). These send the call again, up to the placement's attempts. A task that throws on the
 * worker fails the call, as it would locally. Every call is bounded: past its deadline it fails with a
 * {@link TimeoutException}, and its worker frees what it made.
 */
final class BatchDispatcher extends AbstractBehavior<BatchDispatcher.Command> {

    interface Command {
    }

    /** A worker's answer to {@link BatchWorker.Describe}. */
    record WorkerReady(ActorRef<BatchWorker.Command> worker, int slots, String node) implements Command, ClusterMessage {
    }

    /**
     * An attempt ended on {@code worker}: with {@code output} offered on its channel, or failed with
     * {@code errorClass}: {@code errorMessage}, after {@code stepsDone} of its tasks; {@code retry} when the
     * failure was not the task's (a refusal, a broken transfer) and another attempt may succeed.
     */
    record CallEnded(String id, int attempt, ActorRef<BatchWorker.Command> worker, TableHandle output, int stepsDone,
                     String errorClass, String errorMessage, boolean retry) implements Command, ClusterMessage {
    }

    /** From the placement, in this JVM. */
    record Start(List<Submitted> calls) implements Command, NoSerializationVerificationNeeded {
    }

    record Stop() implements Command, NoSerializationVerificationNeeded {
    }

    private record Pulled(String id, int attempt, ArrowTable output, Throwable error)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record Overdue(String id) implements Command, NoSerializationVerificationNeeded {
    }

    private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {
    }

    private record WorkerGone(ActorRef<BatchWorker.Command> worker) implements Command, NoSerializationVerificationNeeded {
    }

    /** One call handed to the placement, with the stage the run waits on and the call's bound. */
    record Submitted(String id, BatchCall call, CompletableFuture<ArrowTable> result, Duration bound) {
    }

    /** A known batch worker: its slots and the calls holding them. */
    private static final class WorkerState extends WorkerRegistry.Registered<BatchWorker.Command> {
        WorkerState(ActorRef<BatchWorker.Command> ref, int slots, String node) {
            super(ref, slots, node);
        }
    }

    /** A call's state here: its attempt, where it runs, what it offered, whether its output is being pulled. */
    private static final class Flight {
        final Submitted call;
        int attempt;
        WorkerState worker;
        final List<String> offered = new ArrayList<>();
        boolean pulling;
        String lastFailure;
        final Set<ActorRef<BatchWorker.Command>> refusedBy = new HashSet<>();

        Flight(Submitted call) {
            this.call = call;
        }
    }

    private final ClusterBatchPlacement.Settings settings;
    private final ArrowChannel channel;
    private final Executor blocking;
    private final TimerScheduler<Command> timers;
    private final WorkerRegistry<BatchWorker.Command, Command, WorkerState> workers;
    private final Deque<Flight> pending = new ArrayDeque<>();
    private final Map<String, Flight> flights = new HashMap<>();
    private final Map<String, Integer> callsByNode;
    private final java.util.concurrent.atomic.AtomicInteger attemptsLost;
    private boolean stopped;

    static Behavior<Command> create(ClusterBatchPlacement.Settings settings, ArrowChannel channel,
                                    ConcurrentHashMap<String, Integer> callsByNode,
                                    java.util.concurrent.atomic.AtomicInteger attemptsLost,
                                    java.util.concurrent.atomic.AtomicInteger slots) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new BatchDispatcher(ctx, timers, settings, channel, callsByNode, attemptsLost, slots)));
    }

    private BatchDispatcher(ActorContext<Command> context, TimerScheduler<Command> timers,
                            ClusterBatchPlacement.Settings settings, ArrowChannel channel,
                            Map<String, Integer> callsByNode, java.util.concurrent.atomic.AtomicInteger attemptsLost,
                            java.util.concurrent.atomic.AtomicInteger slots) {
        super(context);
        this.workers = new WorkerRegistry<>(context, new WorkerRegistry.Protocol<>(BatchWorker.KEY, Listed::new,
                BatchWorker.Describe::new, WorkerGone::new, "Batch worker {} offers {} slots"), WorkerState::new, slots);
        this.attemptsLost = attemptsLost;
        this.timers = timers;
        this.settings = settings;
        this.channel = channel;
        this.callsByNode = callsByNode;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Engine.BLOCKING_DISPATCHER));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Listed.class, this::onListed)
                .onMessage(WorkerReady.class, this::onWorkerReady)
                .onMessage(WorkerGone.class, this::onWorkerGone)
                .onMessage(Start.class, this::onStart)
                .onMessage(CallEnded.class, this::onCallEnded)
                .onMessage(Pulled.class, this::onPulled)
                .onMessage(Overdue.class, this::onOverdue)
                .onMessage(Stop.class, msg -> Behaviors.stopped())
                .onSignal(PostStop.class, signal -> {
                    stopped = true;
                    for (Flight flight : List.copyOf(flights.values())) {
                        fail(flight, new IllegalStateException("the cluster placement of graph '"
                                + settings.graph() + "' was closed before the call of task '"
                                + flight.call.call().task() + "' on batch " + flight.call.call().batchId() + " ended"));
                    }
                    return this;
                })
                .build();
    }

    private Behavior<Command> onListed(Listed msg) {
        workers.onListing(msg.listing());
        return dispatch();
    }

    private Behavior<Command> onWorkerReady(WorkerReady msg) {
        workers.onReady(msg.worker(), msg.slots(), msg.node());
        return dispatch();
    }

    private Behavior<Command> onStart(Start msg) {
        for (Submitted call : msg.calls()) {
            Flight flight = new Flight(call);
            flights.put(call.id(), flight);
            pending.add(flight);
            timers.startSingleTimer(call.id(), new Overdue(call.id()), call.bound());
        }
        return dispatch();
    }

    private Behavior<Command> onWorkerGone(WorkerGone msg) {
        WorkerState gone = workers.onGone(msg.worker());
        if (gone == null) {
            return this;
        }
        getContext().getLog().warn("Batch worker {} is gone with {} calls in flight; they run again elsewhere",
                gone.node, gone.busy.size());
        for (String id : List.copyOf(gone.busy)) {
            Flight flight = flights.get(id);
            if (flight != null && !flight.pulling) {
                retry(flight, "worker node " + gone.node + " left the cluster");
            }
        }
        return dispatch();
    }

    /** Hands waiting calls to free slots, the worker with the most free slots (then the least used) first. */
    private Behavior<Command> dispatch() {
        Iterator<Flight> waiting = pending.iterator();
        while (waiting.hasNext()) {
            Flight flight = waiting.next();
            WorkerState worker = workers.pick(w -> !flight.refusedBy.contains(w.ref)).orElse(null);
            if (worker == null) {
                continue;
            }
            waiting.remove();
            send(flight, worker);
        }
        return this;
    }

    private void send(Flight flight, WorkerState worker) {
        BatchCall call = flight.call.call();
        List<String> names = new ArrayList<>();
        List<TableHandle> handles = new ArrayList<>();
        try {
            for (Map.Entry<String, ArrowTable> input : call.tables().entrySet()) {
                TableHandle handle = channel.offer(input.getValue().view(call.allocator()));
                flight.offered.add(handle.transfer());
                names.add(input.getKey());
                handles.add(handle);
            }
        } catch (RuntimeException e) {
            fail(flight, e);
            return;
        }
        flight.attempt++;
        flight.worker = worker;
        workers.assign(worker, flight.call.id());
        worker.ref.tell(new BatchWorker.RunCall(flight.call.id(), flight.attempt, settings.flow(), settings.flowHash(),
                settings.graph(), call.tasks(), call.batchId(), names, handles, getContext().getSelf()));
    }

    private Behavior<Command> onCallEnded(CallEnded msg) {
        Flight flight = flights.get(msg.id());
        if (flight == null || flight.attempt != msg.attempt() || flight.pulling) {
            getContext().getLog().debug("Ignoring a late report of call {} attempt {}", msg.id(), msg.attempt());
            msg.worker().tell(new BatchWorker.CancelCall(msg.id(), msg.attempt()));
            return this;
        }
        withdrawInputs(flight);
        if (msg.output() != null) {
            flight.pulling = true;
            TableHandle output = msg.output();
            BufferAllocator into = flight.call.call().allocator();
            int attempt = msg.attempt();
            getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> channel.pull(output, into), blocking),
                    (table, error) -> new Pulled(msg.id(), attempt, table, error));
            return this;
        }
        if (msg.retry()) {
            if (BatchWorker.REFUSED.equals(msg.errorClass())) {
                flight.refusedBy.add(msg.worker());
            }
            retry(flight, msg.errorMessage());
            return dispatch();
        }
        release(flight);
        fail(flight, new RemoteCallException(flight.call.call().tasks(), msg.stepsDone(), flight.call.call().batchId(),
                msg.errorClass(), msg.errorMessage()));
        return dispatch();
    }

    private Behavior<Command> onPulled(Pulled msg) {
        Flight flight = flights.get(msg.id());
        if (flight == null || flight.attempt != msg.attempt()) {
            if (msg.output() != null) {
                msg.output().close(); // the call timed out meanwhile
            }
            return this;
        }
        flight.pulling = false;
        if (msg.error() != null) {
            retry(flight, "its output could not be pulled: " + unwrap(msg.error()).getMessage());
            return dispatch();
        }
        callsByNode.merge(flight.worker.node, 1, Integer::sum);
        release(flight);
        end(flight);
        flight.call.call().discard();
        flight.call.result().complete(msg.output());
        return dispatch();
    }

    private Behavior<Command> onOverdue(Overdue msg) {
        Flight flight = flights.get(msg.id());
        if (flight != null) {
            if (flight.worker != null) {
                flight.worker.ref.tell(new BatchWorker.CancelCall(flight.call.id(), flight.attempt));
            }
            release(flight);
            pending.remove(flight);
            flight.attempt++; // a pull under way is now late: its output is freed when it arrives
            fail(flight, new TimeoutException("the call of task '" + flight.call.call().task() + "' on batch "
                    + flight.call.call().batchId() + " did not end within " + flight.call.bound() + " on the cluster"
                    + (flight.lastFailure == null ? "" : " (last failure: " + flight.lastFailure + ")")
                    + (workers.isEmpty() ? "; no batch worker is known" : "")));
        }
        return dispatch();
    }

    /** The attempt is lost through no fault of the task: the call goes again, to a worker, with the next attempt. */
    private void retry(Flight flight, String why) {
        release(flight);
        withdrawInputs(flight);
        flight.lastFailure = why;
        attemptsLost.incrementAndGet();
        if (flight.attempt >= settings.attempts()) {
            fail(flight, new RemoteCallException(flight.call.call().tasks(), 0, flight.call.call().batchId(),
                    "dev.weir.cluster.NodeLost", "attempt " + flight.attempt + " of " + settings.attempts()
                    + " was lost: " + why));
            return;
        }
        getContext().getLog().warn("Call of task '{}' on batch {}: attempt {} was lost ({}); trying again",
                flight.call.call().task(), flight.call.call().batchId(), flight.attempt, why);
        pending.addFirst(flight);
    }

    /** Frees the worker slot the call held. */
    private void release(Flight flight) {
        if (flight.worker != null) {
            flight.worker.busy.remove(flight.call.id());
            flight.worker = null;
        }
    }

    private void withdrawInputs(Flight flight) {
        flight.offered.forEach(channel::withdraw);
        flight.offered.clear();
    }

    private void end(Flight flight) {
        flights.remove(flight.call.id());
        if (!stopped) {
            timers.cancel(flight.call.id());
        }
    }

    /** Ends the call failed: its inputs are freed, and its stage fails with {@code error}. */
    private void fail(Flight flight, Throwable error) {
        withdrawInputs(flight);
        end(flight);
        flight.call.call().discard();
        flight.call.result().completeExceptionally(error);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
    }
}
