package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.channel.ChannelException;
import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.runtime.Engine;
import dev.weir.engine.stream.BatchFunction;
import dev.weir.engine.stream.BatchInput;
import dev.weir.engine.stream.StreamGraph;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A worker node's runner of streaming batch calls ({@link ClusterBatchPlacement}): registers under
 * {@link #KEY}, tells a coordinator how many calls it runs at once, and runs a call it is given by ids —
 * the flow (whose code must hash as the coordinator's), the graph, the tasks by name, the batch — with
 * the functions of this node's own copy of the graph ({@link FlowResolver#streamGraph}). On the blocking
 * dispatcher it pulls the call's inputs from the coordinator's side channel, runs the tasks one after
 * another, and offers the output on this node's {@link ArrowChannel}; the reply carries only its handle.
 * The channel frees the output when the coordinator has pulled it, withdraws it (a cancelled call, a
 * late attempt), or does not pull it in time.
 *
 * <p>When its node leaves the cluster gracefully ({@link Drain}, from a {@code ClusterNode#beforeLeave} task
 * bounded by {@code weir.cluster.drain-timeout}, as {@link Worker}'s), it leaves the Receptionist so that
 * coordinators send it no new call, refuses one sent before they saw that (the call goes to another worker),
 * and answers once its calls under way have ended and their outputs are pulled (or freed by the channel).
 */
public final class BatchWorker extends AbstractBehavior<BatchWorker.Command> {

    /** The Receptionist key batch workers register under. */
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "weir-batch-worker");

    /**
     * The Receptionist key of batch workers that answer {@link Status}: every batch worker, while it runs,
     * draining or not (a draining one leaves {@link #KEY} only).
     */
    public static final ServiceKey<Command> STATUS_KEY = ServiceKey.create(Command.class, "weir-batch-worker-status");

    public interface Command {
    }

    /** The error class of a call this node would not run (no such flow or graph, or other code for it). */
    static final String REFUSED = "dev.weir.cluster.Refused";

    /** A coordinator asks what this worker offers; answered with {@link BatchDispatcher.WorkerReady}. */
    public record Describe(ActorRef<BatchDispatcher.Command> replyTo) implements Command, ClusterMessage {
    }

    /**
     * Run one attempt of a call.
     *
     * @param id         the call's id at its coordinator (its run, then a sequence number)
     * @param attempt    1 for the first attempt; the next after a lost worker
     * @param flow       the flow whose code defines the graph
     * @param flowHash   the coordinator's hash of that code; this node's must be the same
     * @param graph      the graph's name within the flow
     * @param tasks      the tasks to run in order (the call's own, then those fused after it)
     * @param batchId    the source batch
     * @param inputNames the first task's inputs, by upstream name, in the graph's order
     * @param inputs     where to pull each of them, in the same order
     */
    public record RunCall(String id, int attempt, String flow, String flowHash, String graph, List<String> tasks,
                          long batchId, List<String> inputNames, List<TableHandle> inputs,
                          ActorRef<BatchDispatcher.Command> replyTo) implements Command, ClusterMessage {
    }

    /**
     * The node is leaving: take no new calls (this worker leaves the Receptionist, and refuses a call sent
     * before its coordinator saw that), finish those under way, then answer {@code done} once their outputs
     * are pulled. For the node's graceful leave ({@code CoordinatedShutdown}); stays in its JVM.
     */
    public record Drain(ActorRef<Done> done) implements Command, NoSerializationVerificationNeeded {
    }

    /** Asks for this worker's slots and the calls it runs now; answered with a {@link WorkerStatus.Calls}. */
    public record Status(ActorRef<WorkerStatus.Calls> replyTo) implements Command, ClusterMessage {
    }

    /** The coordinator no longer wants this attempt: free its output, now or when it is made. */
    public record CancelCall(String id, int attempt) implements Command, ClusterMessage {
    }

    private record CallDone(RunCall call, TableHandle output, int stepsDone, Throwable error)
            implements Command, NoSerializationVerificationNeeded {
    }

    /** An attempt under way, and when this worker was handed it ({@link System#nanoTime()}). */
    private record Running(RunCall call, long handedAt) {
    }

    /** While draining: look again whether the outputs offered have been pulled. */
    private record CheckDrained() implements Command, NoSerializationVerificationNeeded {
    }

    /** How often a draining worker looks whether its offered outputs were pulled (the channel does not say). */
    private static final Duration DRAIN_POLL = Duration.ofMillis(50);

    /**
     * What a batch worker needs.
     *
     * @param flows     finds flows' code and their streaming graphs on this node
     * @param channel   this node's side channel, which outputs are offered on and inputs pulled with
     * @param allocator where inputs and outputs live on this node; the caller closes it after the channel
     * @param slots     calls it runs at once, at least 1
     */
    public record Settings(FlowResolver flows, ArrowChannel channel, BufferAllocator allocator, int slots) {
        public Settings {
            Objects.requireNonNull(flows, "flows is null");
            Objects.requireNonNull(channel, "channel is null");
            Objects.requireNonNull(allocator, "allocator is null");
            if (slots < 1) {
                throw new IllegalArgumentException("a batch worker needs at least 1 slot, was " + slots);
            }
        }
    }

    private final Settings settings;
    private final TimerScheduler<Command> timers;
    private final Executor blocking;
    private final WorkerRegistration<Command> registration;
    private final String node;
    /** Attempts under way here, by "id#attempt", oldest first. */
    private final Map<String, Running> running = new LinkedHashMap<>();
    /** Attempts cancelled while under way: their output is withdrawn when made. */
    private final Set<String> cancelled = new HashSet<>();
    /** Outputs offered and not yet freed by the channel, by "id#attempt", so that a cancel can withdraw one. */
    private final Map<String, String> offered = new HashMap<>();
    /** Read on blocking threads. */
    private final Map<String, Optional<StreamGraph>> graphs = new ConcurrentHashMap<>();

    /** Starts a batch worker on this node's actor system (a cluster member), registered with the Receptionist. */
    public static ActorRef<Command> start(ActorSystem<?> system, Settings settings) {
        return system.systemActorOf(create(settings), "weir-batch-worker", Props.empty());
    }

    public static Behavior<Command> create(Settings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new BatchWorker(ctx, timers, settings)));
    }

    private BatchWorker(ActorContext<Command> context, TimerScheduler<Command> timers,
                        Settings settings) {
        super(context);
        this.settings = settings;
        this.timers = timers;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Engine.BLOCKING_DISPATCHER));
        this.registration = new WorkerRegistration<>(context, KEY, settings.flows());
        this.node = registration.node();
        context.getSystem().receptionist().tell(Receptionist.register(STATUS_KEY, context.getSelf()));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Describe.class, msg -> {
                    msg.replyTo().tell(new BatchDispatcher.WorkerReady(getContext().getSelf(), settings.slots(), node));
                    return this;
                })
                .onMessage(RunCall.class, this::onRunCall)
                .onMessage(CallDone.class, this::onCallDone)
                .onMessage(CancelCall.class, this::onCancel)
                .onMessage(Drain.class, this::onDrain)
                .onMessage(Status.class, this::onStatus)
                .onMessage(CheckDrained.class, msg -> checkDrained())
                .build();
    }

    private static String key(String id, int attempt) {
        return id + "#" + attempt;
    }

    private Behavior<Command> onRunCall(RunCall msg) {
        if (running.containsKey(key(msg.id(), msg.attempt()))) {
            return this; // a repeated request: under way
        }
        if (registration.draining()) {
            msg.replyTo().tell(new BatchDispatcher.CallEnded(msg.id(), msg.attempt(), getContext().getSelf(), null, 0,
                    REFUSED, "node " + node + " is leaving the cluster", true));
            return this;
        }
        running.put(key(msg.id(), msg.attempt()), new Running(msg, System.nanoTime()));
        CompletableFuture<Object[]> calling = CompletableFuture.supplyAsync(() -> call(msg), blocking);
        getContext().pipeToSelf(calling, (done, error) -> done == null
                ? new CallDone(msg, null, 0, error instanceof CompletionException && error.getCause() != null
                        ? error.getCause() : error)
                : new CallDone(msg, (TableHandle) done[0], (Integer) done[1], (Throwable) done[2]));
        return this;
    }

    /** Pulls, runs and offers; returns {output handle or null, steps done, error or null}. Blocking. */
    private Object[] call(RunCall msg) {
        String refusal = registration.refusal(msg.flow(), msg.flowHash());
        if (refusal != null) {
            throw new WorkerRegistration.Refusal(refusal);
        }
        StreamGraph graph = graphs.computeIfAbsent(msg.flow() + "\u0000" + msg.graph(),
                key -> settings.flows().streamGraph(msg.flow(), msg.graph())).orElse(null);
        if (graph == null) {
            throw new WorkerRegistration.Refusal("node " + node + " has no streaming graph '" + msg.graph() + "' of flow '" + msg.flow()
                    + "'");
        }
        Map<String, ArrowTable> inputs = new LinkedHashMap<>();
        int steps = 0;
        try {
            for (int i = 0; i < msg.inputs().size(); i++) {
                inputs.put(msg.inputNames().get(i), settings.channel().pull(msg.inputs().get(i), settings.allocator()));
            }
            for (String task : msg.tasks()) {
                BatchFunction function = graph.function(task);
                ArrowTable output = function.apply(new Input(task, msg.batchId(), inputs, graph.context(),
                        settings.allocator()));
                if (output == null) {
                    throw new IllegalStateException("the function returned null instead of an ArrowTable");
                }
                for (ArrowTable input : inputs.values()) {
                    if (input != output) {
                        input.close();
                    }
                }
                inputs = new LinkedHashMap<>(Map.of(task, output));
                steps++;
            }
            ArrowTable output = inputs.values().iterator().next();
            inputs = Map.of();
            return new Object[] {settings.channel().offer(output), steps, null};
        } catch (ChannelException e) {
            throw e; // not the task's fault: the coordinator tries again
        } catch (Exception | Error e) {
            return new Object[] {null, steps, e};
        } finally {
            inputs.values().forEach(ArrowTable::close);
        }
    }

    private Behavior<Command> onCallDone(CallDone msg) {
        RunCall call = msg.call();
        String key = key(call.id(), call.attempt());
        running.remove(key);
        if (cancelled.remove(key)) {
            if (msg.output() != null) {
                settings.channel().withdraw(msg.output().transfer());
            }
            return checkDrained();
        }
        if (msg.output() != null) {
            // forget outputs the channel has freed (pulled, or timed out): what is left awaits its pull
            offered.values().removeIf(transfer -> !settings.channel().offering(transfer));
            offered.put(key, msg.output().transfer());
            call.replyTo().tell(new BatchDispatcher.CallEnded(call.id(), call.attempt(), getContext().getSelf(),
                    msg.output(), msg.stepsDone(), null, null, false));
            return checkDrained();
        }
        Throwable error = msg.error();
        boolean refused = error instanceof WorkerRegistration.Refusal;
        boolean transientError = error instanceof ChannelException;
        if (!refused && !transientError) {
            getContext().getLog().warn("Task '{}' failed on batch {} (call {} attempt {}): {}",
                    call.tasks().get(Math.min(msg.stepsDone(), call.tasks().size() - 1)), call.batchId(), call.id(),
                    call.attempt(), String.valueOf(error));
        }
        call.replyTo().tell(new BatchDispatcher.CallEnded(call.id(), call.attempt(), getContext().getSelf(), null,
                msg.stepsDone(), refused ? REFUSED : error == null ? "java.lang.IllegalStateException"
                : error.getClass().getName(),
                refused ? error.getMessage() : "on node " + node + ": " + error, refused || transientError));
        return checkDrained();
    }

    private Behavior<Command> onCancel(CancelCall msg) {
        String key = key(msg.id(), msg.attempt());
        String transfer = offered.remove(key);
        if (transfer != null) {
            settings.channel().withdraw(transfer);
        } else if (running.containsKey(key)) {
            cancelled.add(key);
        }
        return checkDrained();
    }

    private Behavior<Command> onStatus(Status msg) {
        long now = System.nanoTime();
        List<WorkerStatus.CallInFlight> calls = running.values().stream()
                .map(r -> new WorkerStatus.CallInFlight(r.call().id(), r.call().attempt(), r.call().flow(),
                        r.call().graph(), r.call().tasks(), r.call().batchId(), (now - r.handedAt()) / 1_000_000))
                .toList();
        msg.replyTo().tell(new WorkerStatus.Calls(node, settings.slots(), Math.max(0, settings.slots() - calls.size()),
                registration.draining(), calls));
        return this;
    }

    private Behavior<Command> onDrain(Drain msg) {
        registration.drain(msg.done(), "Leaving: this batch worker takes no new calls and finishes {} under way",
                running.size());
        return checkDrained();
    }

    /**
     * While draining: answers the drain once no call runs and every output offered has left the channel
     * (pulled, withdrawn or timed out); until then looks again every {@link #DRAIN_POLL}, since the channel
     * frees a pulled output without telling this actor.
     */
    private Behavior<Command> checkDrained() {
        if (!registration.draining()) {
            return this;
        }
        offered.values().removeIf(transfer -> !settings.channel().offering(transfer));
        boolean idle = running.isEmpty() && offered.isEmpty();
        registration.checkDrained(idle);
        if (!idle && running.isEmpty()) {
            timers.startSingleTimer(CheckDrained.class, new CheckDrained(), DRAIN_POLL);
        }
        return this;
    }

    /** What a task's function sees on this node. */
    private record Input(String task, long batchId, Map<String, ArrowTable> tables, Map<String, Object> context,
                         BufferAllocator allocator) implements BatchInput {

        @Override
        public ArrowTable table() {
            if (tables.size() != 1) {
                throw new IllegalStateException("task '" + task + "' has " + tables.size() + " inputs "
                        + tables.keySet() + "; read one with table(name)");
            }
            return tables.values().iterator().next();
        }

        @Override
        public ArrowTable table(String upstream) {
            ArrowTable table = tables.get(upstream);
            if (table == null) {
                throw new IllegalArgumentException("task '" + task + "' has no input from '" + upstream
                        + "'; its inputs are " + tables.keySet());
            }
            return table;
        }

        @Override
        public <T> T context(String key, Class<T> type) {
            Object value = context.get(key);
            if (value == null) {
                throw new IllegalArgumentException("task '" + task + "': there is no context value '" + key
                        + "'; known: " + context.keySet());
            }
            if (!type.isInstance(value)) {
                throw new IllegalArgumentException("task '" + task + "': context value '" + key + "' is a "
                        + value.getClass().getSimpleName() + ", not a " + type.getSimpleName());
            }
            return type.cast(value);
        }
    }
}
