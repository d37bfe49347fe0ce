package dev.weir.cluster;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import dev.weir.engine.runtime.ChunkWorker;
import dev.weir.engine.runtime.Engine;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A worker node's chunk runner: registers with the Receptionist under {@link #KEY}, tells a coordinator
 * that asks how many chunks it takes at once (its slots), and runs the chunks it is given with the
 * engine's {@link ChunkWorker}: resolves the flow by name from this node's class path (refusing a chunk
 * whose flow code differs from the coordinator's, by hash), reads this node's own configuration of the
 * instance (its store and secrets), computes on the blocking dispatcher, holds the result until the
 * coordinator grants the upload, then appends with the store's ledgered append. Only ids and values
 * come and go in messages; the rows stay in the store and in this JVM, except a chunk's rows of an
 * inlined input, which it pulls from the coordinator's side channel ({@link RunChunk#inline}) before it
 * computes and frees once it has.
 *
 * <p>A computed chunk is freed when its coordinator cancels it, interrupts it, or stops (watched), and
 * when this actor stops.
 */
public final class Worker extends AbstractBehavior<Worker.Command> {

    /** The Receptionist key workers register under. */
    public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "weir-chunk-worker");

    /**
     * The Receptionist key of workers that answer {@link Status}: every worker, while it runs, draining or not
     * (a draining worker leaves {@link #KEY} only).
     */
    public static final ServiceKey<Command> STATUS_KEY = ServiceKey.create(Command.class, "weir-worker-status");

    public interface Command {
    }

    /** A coordinator asks what this worker offers; answered with {@link ChunkDispatcher.WorkerReady}. */
    public record Describe(ActorRef<ChunkDispatcher.Command> replyTo) implements Command, ClusterMessage {
    }

    /**
     * Compute one attempt of a chunk.
     *
     * @param id       the attempt's id, unique at its coordinator
     * @param flowHash the hash of the coordinator's flow code; this node's must be the same
     * @param inline   where to pull the chunk's rows of each inlined input from (empty: none)
     */
    public record RunChunk(String id, ChunkWork work, String flowHash, ActorRef<ChunkDispatcher.Command> replyTo,
                           java.util.List<InlineInput> inline) implements Command, ClusterMessage {
        public RunChunk {
            inline = inline == null ? java.util.List.of() : java.util.List.copyOf(inline);
        }

        public RunChunk(String id, ChunkWork work, String flowHash, ActorRef<ChunkDispatcher.Command> replyTo) {
            this(id, work, flowHash, replyTo, java.util.List.of());
        }
    }

    /** The chunk's rows of inlined input {@code input}, offered on its coordinator's side channel. */
    public record InlineInput(String input, dev.weir.cluster.channel.TableHandle rows) {
        public InlineInput {
            Objects.requireNonNull(input, "input is null");
            Objects.requireNonNull(rows, "rows is null");
        }
    }

    /** Asks for this worker's slots and the chunks it holds now; answered with a {@link WorkerStatus}. */
    public record Status(ActorRef<WorkerStatus> replyTo) implements Command, ClusterMessage {
    }

    /** Append the computed chunk. */
    public record UploadChunk(String id) implements Command, ClusterMessage {
    }

    /** Forget the chunk and free its data. */
    public record CancelChunk(String id) implements Command, ClusterMessage {
    }

    /** The chunk's task timed out or failed: stop reporting on it and free its data. */
    public record InterruptChunk(String id, String reason) implements Command, ClusterMessage {
    }

    /**
     * The node is leaving: take no new chunks (the worker leaves the Receptionist, and refuses a chunk
     * sent before its coordinator saw that), finish those under way, then answer {@code done}. For the
     * node's graceful leave ({@code CoordinatedShutdown}); stays in its JVM.
     */
    public record Drain(ActorRef<org.apache.pekko.Done> done) implements Command, NoSerializationVerificationNeeded {
    }

    private record ComputeDone(String id, ChunkWorker.Computation computation, Throwable error)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record UploadDone(String id, ChunkUploaded uploaded, Throwable error)
            implements Command, NoSerializationVerificationNeeded {
    }

    private record CoordinatorGone(ActorRef<ChunkDispatcher.Command> coordinator)
            implements Command, NoSerializationVerificationNeeded {
    }

    /**
     * What a worker needs.
     *
     * @param chunks    the engine's chunk runner, with this node's stores and allocator
     * @param flows     finds flows by name on this node
     * @param instances this node's own configuration of an instance, by name, per-user flag and table store
     *                  connection as the run names them; throws naming what is wrong
     * @param slots     chunks it runs at once, at least 1
     * @param channel   this node's Arrow side channel, to pull the rows of chunks with inlined inputs; null:
     *                  this worker refuses such chunks
     */
    public record Settings(ChunkWorker chunks, FlowResolver flows, Instances instances, int slots,
                           dev.weir.cluster.channel.ArrowChannel channel) {
        public Settings(ChunkWorker chunks, FlowResolver flows, Instances instances, int slots) {
            this(chunks, flows, instances, slots, null);
        }

        public Settings {
            Objects.requireNonNull(chunks, "chunks is null");
            Objects.requireNonNull(flows, "flows is null");
            Objects.requireNonNull(instances, "instances is null");
            if (slots < 1) {
                throw new IllegalArgumentException("a worker needs at least 1 slot, was " + slots);
            }
        }
    }

    /** This node's own configuration of the instances it runs chunks on. */
    @FunctionalInterface
    public interface Instances {
        /**
         * The instance {@code name} (its per-user copy when {@code perUser}) on the table store connection
         * {@code tableStore}, from this node's configuration (its secrets included).
         */
        InstanceConfig instance(String name, boolean perUser, String tableStore);
    }

    /** One chunk attempt on this worker. */
    private static final class Entry {
        final ActorRef<ChunkDispatcher.Command> replyTo;
        final ChunkWork work;
        final long handedAt = System.nanoTime();
        WorkerStatus.Phase phase = WorkerStatus.Phase.COMPUTING;
        ChunkWorker.Computation computation;

        Entry(ActorRef<ChunkDispatcher.Command> replyTo, ChunkWork work) {
            this.replyTo = replyTo;
            this.work = work;
        }
    }

    private final Settings settings;
    private final Executor blocking;
    private final WorkerRegistration<Command> registration;
    private final String node;
    private final Map<String, Entry> entries = new java.util.LinkedHashMap<>();
    private final Set<ActorRef<ChunkDispatcher.Command>> watched = new HashSet<>();
    /** The computations under way, by attempt id, until their result reaches this actor. */
    private final Map<String, CompletableFuture<ChunkWorker.Computation>> inCompute = new HashMap<>();
    /** By flow name and instance: the flow, built once. */
    private final Map<String, dev.weir.engine.Flow> flows = new java.util.concurrent.ConcurrentHashMap<>();

    /** Starts a worker on this node's actor system (a cluster member), registered with the Receptionist. */
    public static ActorRef<Command> start(ActorSystem<?> system, Settings settings) {
        return system.systemActorOf(create(settings), "weir-chunk-worker", Props.empty());
    }

    public static Behavior<Command> create(Settings settings) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(STATUS_KEY, ctx.getSelf()));
            return new Worker(ctx, settings);
        });
    }

    private Worker(ActorContext<Command> context, Settings settings) {
        super(context);
        this.settings = settings;
        this.blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.fromConfig(Engine.BLOCKING_DISPATCHER));
        this.registration = new WorkerRegistration<>(context, KEY, settings.flows());
        this.node = registration.node();
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Describe.class, msg -> {
                    msg.replyTo().tell(new ChunkDispatcher.WorkerReady(getContext().getSelf(), settings.slots(), node));
                    return this;
                })
                .onMessage(Status.class, this::onStatus)
                .onMessage(RunChunk.class, this::onRunChunk)
                .onMessage(Drain.class, this::onDrain)
                .onMessage(ComputeDone.class, this::onComputed)
                .onMessage(UploadChunk.class, this::onUpload)
                .onMessage(UploadDone.class, this::onUploaded)
                .onMessage(CancelChunk.class, msg -> forget(msg.id()))
                .onMessage(InterruptChunk.class, msg -> {
                    getContext().getLog().debug("Chunk attempt {} interrupted: {}", msg.id(), msg.reason());
                    return forget(msg.id());
                })
                .onMessage(CoordinatorGone.class, this::onCoordinatorGone)
                .onSignal(PostStop.class, signal -> {
                    // stopped (its node shuts down): frees what it holds here, now (the blocking dispatcher may
                    // be gone; freeing Arrow memory does not block), and what computations still under way
                    // make, when they end
                    entries.values().forEach(entry -> {
                        if (entry.computation != null) {
                            entry.computation.close();
                            entry.computation = null;
                        }
                    });
                    entries.clear();
                    inCompute.values().forEach(computing -> computing.thenAccept(ChunkWorker.Computation::close));
                    inCompute.clear();
                    return this;
                })
                .build();
    }

    private Behavior<Command> onRunChunk(RunChunk msg) {
        ChunkWork work = msg.work();
        if (registration.draining()) {
            msg.replyTo().tell(new ChunkDispatcher.Refused(msg.id(), getContext().getSelf(), "node " + node
                    + " is leaving the cluster"));
            return this;
        }
        if (entries.containsKey(msg.id())) {
            return this; // a repeated request: the attempt is under way
        }
        if (!msg.inline().isEmpty() && settings.channel() == null) {
            msg.replyTo().tell(new ChunkDispatcher.Refused(msg.id(), getContext().getSelf(), "node " + node
                    + " has no Arrow side channel to pull the inlined inputs of " + work.describe()));
            return this;
        }
        Map<String, dev.weir.cluster.channel.TableHandle> handles = new HashMap<>();
        msg.inline().forEach(in -> handles.put(in.input(), in.rows()));
        entries.put(msg.id(), new Entry(msg.replyTo(), work));
        if (watched.add(msg.replyTo())) {
            getContext().watchWith(msg.replyTo(), new CoordinatorGone(msg.replyTo()));
        }
        CompletableFuture<ChunkWorker.Computation> computing = CompletableFuture.supplyAsync(() -> {
            String refusal = registration.refusal(work.flow(), msg.flowHash());
            if (refusal != null) {
                throw new WorkerRegistration.Refusal(refusal);
            }
            try {
                InstanceConfig instance = settings.instances().instance(work.instance(), work.perUser(),
                        work.tableStore());
                return settings.chunks().compute(work, flow(work.flow(), instance), instance, node, (input, into) -> {
                    dev.weir.cluster.channel.TableHandle handle = handles.get(input);
                    if (handle == null) {
                        throw new IllegalArgumentException(work.describe() + ": the coordinator sent no rows of"
                                + " inlined input '" + input + "'");
                    }
                    return settings.channel().pull(handle, into); // bounded by the channel's transfer timeout
                });
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, blocking);
        inCompute.put(msg.id(), computing);
        getContext().pipeToSelf(computing, (computation, error) -> new ComputeDone(msg.id(), computation, error));
        return this;
    }

    /** The flow as it runs on {@code instance}, built once per flow and instance (user code: blocking). */
    private dev.weir.engine.Flow flow(String name, InstanceConfig instance) {
        return flows.computeIfAbsent(name + "\u0000" + instance.instanceName(),
                key -> settings.flows().flow(name, instance));
    }

    private Behavior<Command> onComputed(ComputeDone msg) {
        inCompute.remove(msg.id());
        Entry entry = entries.get(msg.id());
        if (entry == null) {
            if (msg.computation() != null) {
                CompletableFuture.runAsync(msg.computation()::close, blocking); // cancelled meanwhile
            }
            return this;
        }
        Throwable refusal = WorkerRegistration.refusalIn(msg.error());
        if (refusal != null) {
            entries.remove(msg.id());
            entry.replyTo.tell(new ChunkDispatcher.Refused(msg.id(), getContext().getSelf(), refusal.getMessage()));
            return checkDrained();
        }
        if (msg.error() != null) {
            entries.remove(msg.id());
            ChunkError error = ChunkWorker.error(msg.error(), node);
            getContext().getLog().warn("Chunk attempt {} failed on this node: {}", msg.id(), error.message());
            entry.replyTo.tell(new ChunkDispatcher.Failed(msg.id(), error, false));
            return checkDrained();
        }
        entry.computation = msg.computation();
        entry.phase = WorkerStatus.Phase.COMPUTED;
        entry.replyTo.tell(new ChunkDispatcher.Computed(msg.id(), msg.computation().computed()));
        return this;
    }

    private Behavior<Command> onUpload(UploadChunk msg) {
        Entry entry = entries.get(msg.id());
        if (entry == null || entry.computation == null) {
            getContext().getLog().warn("Chunk attempt {} was asked to upload but is not computed here; ignored",
                    msg.id());
            return this;
        }
        ChunkWorker.Computation computation = entry.computation;
        entry.computation = null; // the upload owns it now
        entry.phase = WorkerStatus.Phase.APPENDING;
        getContext().pipeToSelf(CompletableFuture.supplyAsync(() -> {
            try {
                return computation.upload();
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }, blocking), (uploaded, error) -> new UploadDone(msg.id(), uploaded, error));
        return this;
    }

    private Behavior<Command> onUploaded(UploadDone msg) {
        Entry entry = entries.remove(msg.id());
        if (entry == null) {
            return this; // interrupted meanwhile: nobody waits for it
        }
        if (msg.error() != null) {
            ChunkError error = ChunkWorker.error(msg.error(), node);
            getContext().getLog().warn("Chunk attempt {} failed to append on this node: {}", msg.id(), error.message());
            entry.replyTo.tell(new ChunkDispatcher.Failed(msg.id(), error, true));
        } else {
            entry.replyTo.tell(new ChunkDispatcher.Uploaded(msg.id(), msg.uploaded()));
        }
        return checkDrained();
    }

    private Behavior<Command> onStatus(Status msg) {
        long now = System.nanoTime();
        java.util.List<WorkerStatus.ChunkInFlight> chunks = entries.values().stream()
                .map(entry -> new WorkerStatus.ChunkInFlight(entry.work.runId(), entry.work.flow(), entry.work.stage(),
                        entry.work.task(), entry.work.chunk(), entry.work.attempt(), entry.phase,
                        (now - entry.handedAt) / 1_000_000))
                .toList();
        msg.replyTo().tell(new WorkerStatus(node, settings.slots(), Math.max(0, settings.slots() - chunks.size()),
                registration.draining(), chunks, java.util.List.of()));
        return this;
    }

    private Behavior<Command> onDrain(Drain msg) {
        registration.drain(msg.done(), "Leaving: this worker takes no new chunks and finishes {} under way",
                entries.size());
        return checkDrained();
    }

    /** Tells those waiting for the drain once no chunk is under way. */
    private Behavior<Command> checkDrained() {
        registration.checkDrained(entries.isEmpty());
        return this;
    }

    private Behavior<Command> forget(String id) {
        Entry entry = entries.remove(id);
        if (entry != null) {
            free(entry);
        }
        return checkDrained();
    }

    private Behavior<Command> onCoordinatorGone(CoordinatorGone msg) {
        watched.remove(msg.coordinator());
        entries.values().removeIf(entry -> {
            if (entry.replyTo.equals(msg.coordinator())) {
                free(entry);
                return true;
            }
            return false;
        });
        return checkDrained();
    }

    private void free(Entry entry) {
        if (entry.computation != null) {
            ChunkWorker.Computation computation = entry.computation;
            entry.computation = null;
            CompletableFuture.runAsync(computation::close, blocking);
        }
    }
}
