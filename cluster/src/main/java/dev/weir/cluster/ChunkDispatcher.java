package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.cluster.channel.TableHandle;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkComputed;
import dev.weir.engine.placement.ChunkError;
import dev.weir.engine.placement.ChunkUploaded;
import dev.weir.engine.placement.ChunkWork;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The coordinator's side of chunk distribution (credits): learns the workers from the Receptionist,
 * asks each for its slots, and hands a chunk only to a worker with a free slot, the one with the most
 * free slots first, so that one task's chunks spread over every worker. A chunk holds its slot from
 * {@link Worker.RunChunk} until it has computed; from then until it is uploaded, fails or is cancelled it
 * holds a place of its own, at most as many as the worker's slots, so that a worker computes its next
 * chunks while the computed ones wait for their upload (as a local task computes and uploads at once), and
 * holds at most twice its slots' chunks. Chunks beyond the free slots wait
 * here, and a worker that joins mid-run takes them. Each worker is watched: when one is lost (downed,
 * or stopped), each of its unfinished chunks fails with a transient {@link ChunkError}, and its task
 * runs it again with the next attempt number; the store's append ledger refuses a second append of a
 * chunk whose first one committed. Replies that name an attempt no longer in flight (a late reply of a
 * lost or interrupted attempt) are ignored. A worker that refuses a flow (other code, by hash) gets no
 * more chunks of it, and the chunk goes to another.
 *
 * <p>A chunk with inlined inputs ({@link ChunkWork.InputKind#INLINE}) arrives with its own rows of each
 * ({@link InlineRows}): when the chunk goes to a worker they are offered on the node's
 * {@link ArrowChannel} (the channel owns them from then on) and their {@link TableHandle}s go in the
 * {@link Worker.RunChunk}; the worker pulls them. Only the chunks handed to a worker, at most its free
 * slots, have rows on offer. Whenever the attempt ends (appended, failed, its worker lost) the offers are
 * withdrawn here before the run hears of it, which frees the rows a worker has not pulled; an attempt the
 * run drops (cancelled, interrupted) has its rows freed by the run's own call, before this dispatcher hears
 * of it, and a chunk still waiting for a slot then never goes to a worker. A worker refusing such a chunk
 * fails the attempt as transient (its rows are spent), so its task sends the next attempt elsewhere.
 */
public final class ChunkDispatcher extends AbstractBehavior<ChunkDispatcher.Command> {

    public interface Command {
    }

    /** A worker's answer to {@link Worker.Describe}. */
    public record WorkerReady(ActorRef<Worker.Command> worker, int slots, String node)
            implements Command, ClusterMessage {
    }

    public record Computed(String id, ChunkComputed computed) implements Command, ClusterMessage {
    }

    public record Uploaded(String id, ChunkUploaded uploaded) implements Command, ClusterMessage {
    }

    public record Failed(String id, ChunkError error, boolean duringUpload) implements Command, ClusterMessage {
    }

    /** The worker will not run the chunk (no such flow, or other code for it); another worker should. */
    public record Refused(String id, ActorRef<Worker.Command> worker, String reason) implements Command, ClusterMessage {
    }

    /** From the run's placement, in this JVM; {@code rows}: the attempt's inlined rows, shared with its call. */
    record Start(String id, ChunkWork work, String flowHash, ChunkCallback callback, InlineRows rows)
            implements Command, NoSerializationVerificationNeeded {
    }

    record Upload(String id) implements Command, NoSerializationVerificationNeeded {
    }

    record Cancel(String id) implements Command, NoSerializationVerificationNeeded {
    }

    record Interrupt(String id, String reason) implements Command, NoSerializationVerificationNeeded {
    }

    /** The placement is closed. */
    record Stop() implements Command, NoSerializationVerificationNeeded {
    }

    private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {
    }

    private record WorkerGone(ActorRef<Worker.Command> worker) implements Command, NoSerializationVerificationNeeded {
    }

    /** A known worker: its slots, the chunk attempts holding them (computing or computed), the flows it refused. */
    private static final class WorkerState extends WorkerRegistry.Registered<Worker.Command> {
        /** Those of {@link #busy} that have computed and wait for their upload or append. */
        final Set<String> computed = new HashSet<>();
        final Set<String> refusedFlows = new HashSet<>();

        WorkerState(ActorRef<Worker.Command> ref, int slots, String node) {
            super(ref, slots, node);
        }

        /** Slots free to compute, as long as the computed chunks waiting for an upload leave room for one more. */
        @Override
        int free() {
            return Math.min(slots - (busy.size() - computed.size()), 2 * slots - busy.size());
        }
    }

    /** An attempt on a worker. */
    private record InFlight(Start start, WorkerState worker, boolean uploading) {
        InFlight asUploading() {
            return new InFlight(start, worker, true);
        }
    }

    private final WorkerRegistry<Worker.Command, Command, WorkerState> workers;
    private final Deque<Start> pending = new ArrayDeque<>();
    private final Map<String, InFlight> inFlight = new HashMap<>();
    private final Map<String, Integer> chunksByNode;
    /** Where inlined rows are offered to workers; null: no chunk with inlined inputs comes here. */
    private final ArrowChannel channel;

    static Behavior<Command> create(AtomicInteger capacity, ConcurrentHashMap<String, Integer> chunksByNode) {
        return create(capacity, chunksByNode, null);
    }

    static Behavior<Command> create(AtomicInteger capacity, ConcurrentHashMap<String, Integer> chunksByNode,
                                    ArrowChannel channel) {
        return Behaviors.setup(ctx -> new ChunkDispatcher(ctx, capacity, chunksByNode, channel));
    }

    private ChunkDispatcher(ActorContext<Command> context, AtomicInteger capacity, Map<String, Integer> chunksByNode,
                            ArrowChannel channel) {
        super(context);
        this.workers = new WorkerRegistry<>(context, new WorkerRegistry.Protocol<>(Worker.KEY, Listed::new,
                Worker.Describe::new, WorkerGone::new, "Worker {} offers {} chunk slots"), WorkerState::new, capacity);
        this.chunksByNode = chunksByNode;
        this.channel = channel;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Listed.class, this::onListed)
                .onMessage(WorkerReady.class, this::onWorkerReady)
                .onMessage(WorkerGone.class, this::onWorkerGone)
                .onMessage(Start.class, msg -> {
                    pending.add(msg);
                    return dispatch();
                })
                .onMessage(Upload.class, this::onUpload)
                .onMessage(Cancel.class, msg -> drop(msg.id(), null))
                .onMessage(Interrupt.class, msg -> drop(msg.id(), msg.reason()))
                .onMessage(Computed.class, this::onComputed)
                .onMessage(Uploaded.class, this::onUploaded)
                .onMessage(Failed.class, this::onFailed)
                .onMessage(Refused.class, this::onRefused)
                .onMessage(Stop.class, msg -> Behaviors.stopped())
                .onSignal(org.apache.pekko.actor.typed.PostStop.class, signal -> {
                    pending.forEach(start -> start.rows().end(channel));
                    pending.clear();
                    inFlight.values().forEach(this::withdraw);
                    inFlight.clear();
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

    private Behavior<Command> onWorkerGone(WorkerGone msg) {
        WorkerState gone = workers.onGone(msg.worker());
        if (gone == null) {
            return this;
        }
        getContext().getLog().warn("Worker {} is gone with {} chunks in flight; they run again elsewhere", gone.node,
                gone.busy.size());
        for (String id : List.copyOf(gone.busy)) {
            InFlight lost = inFlight.remove(id);
            if (lost != null) {
                withdraw(lost); // rows it had not pulled yet are freed; the next attempt sends its own
                lost.start().callback().failed(new ChunkError("dev.weir.cluster.NodeLost", "worker node " + gone.node
                        + " left the cluster while running " + lost.start().work().describe(), true, gone.node),
                        lost.uploading());
            }
        }
        return dispatch();
    }

    /** Hands waiting chunks to free slots, the worker with the most free slots (then the least used) first. */
    private Behavior<Command> dispatch() {
        Iterator<Start> waiting = pending.iterator();
        while (waiting.hasNext()) {
            Start next = waiting.next();
            if (next.rows().ended()) {
                waiting.remove(); // dropped by its run; the message saying so follows
                continue;
            }
            WorkerState worker = workers.pick(w -> !w.refusedFlows.contains(next.work().flow())).orElse(null);
            if (worker == null) {
                continue;
            }
            waiting.remove();
            List<Worker.InlineInput> inline;
            try {
                inline = next.rows().offer(channel);
            } catch (RuntimeException e) {
                next.callback().failed(new ChunkError(e.getClass().getName(), "cannot offer the inlined rows of "
                        + next.work().describe() + " to worker node " + worker.node + ": " + e.getMessage(), false,
                        null), false);
                continue;
            }
            if (inline == null) {
                continue; // dropped by its run just now
            }
            workers.assign(worker, next.id());
            inFlight.put(next.id(), new InFlight(next, worker, false));
            worker.ref.tell(new Worker.RunChunk(next.id(), next.work(), next.flowHash(), getContext().getSelf(),
                    inline));
        }
        return this;
    }

    /**
     * The attempt ended: its offers on the channel are freed (a no-op for those its worker pulled). A chunk
     * without inlined rows is left as it is: a refused one goes to another worker as the same attempt.
     */
    private void withdraw(InFlight flight) {
        if (flight.start().rows().carried()) {
            flight.start().rows().end(channel);
        }
    }

    private Behavior<Command> onUpload(Upload msg) {
        InFlight flight = inFlight.get(msg.id());
        if (flight != null) {
            inFlight.put(msg.id(), flight.asUploading());
            flight.worker().ref.tell(new Worker.UploadChunk(msg.id()));
        }
        return this;
    }

    /** The run no longer wants the attempt: the worker frees it, and its slot is free. */
    private Behavior<Command> drop(String id, String interruptReason) {
        pending.removeIf(start -> {
            if (start.id().equals(id)) {
                start.rows().end(channel);
                return true;
            }
            return false;
        });
        InFlight flight = inFlight.remove(id);
        if (flight != null) {
            withdraw(flight);
            flight.worker().busy.remove(id);
            flight.worker().computed.remove(id);
            flight.worker().ref.tell(interruptReason == null ? new Worker.CancelChunk(id)
                    : new Worker.InterruptChunk(id, interruptReason));
        }
        return dispatch();
    }

    private Behavior<Command> onComputed(Computed msg) {
        InFlight flight = inFlight.get(msg.id());
        if (flight == null) {
            getContext().getLog().debug("Ignoring a late report of chunk attempt {}", msg.id());
            return this;
        }
        flight.worker().computed.add(msg.id());
        flight.start().callback().computed(msg.computed());
        return dispatch(); // its slot computes the next chunk while this one waits for its upload
    }

    private Behavior<Command> onUploaded(Uploaded msg) {
        InFlight flight = end(msg.id());
        if (flight != null) {
            chunksByNode.merge(flight.worker().node, 1, Integer::sum);
            flight.start().callback().uploaded(msg.uploaded());
        }
        return dispatch();
    }

    private Behavior<Command> onFailed(Failed msg) {
        InFlight flight = end(msg.id());
        if (flight != null) {
            flight.start().callback().failed(msg.error(), msg.duringUpload());
        }
        return dispatch();
    }

    private Behavior<Command> onRefused(Refused msg) {
        InFlight flight = end(msg.id());
        WorkerState worker = workers.get(msg.worker());
        if (worker != null && flight != null) {
            worker.refusedFlows.add(flight.start().work().flow());
            getContext().getLog().error("Worker {} refused: {}", worker.node, msg.reason());
        }
        if (flight != null && flight.start().rows().carried()) {
            // its rows were offered to the refusing worker: the next attempt sends its own to another
            flight.start().callback().failed(new ChunkError("dev.weir.cluster.NodeRefused", "worker node "
                    + (worker == null ? "?" : worker.node) + " refused " + flight.start().work().describe() + ": "
                    + msg.reason(), true, worker == null ? null : worker.node), false);
        } else if (flight != null) {
            pending.addFirst(flight.start()); // not run: the same attempt goes to another worker
        }
        return dispatch();
    }

    /** The attempt ended: frees its slot; null when it is no longer in flight (a late reply). */
    private InFlight end(String id) {
        InFlight flight = inFlight.remove(id);
        if (flight == null) {
            getContext().getLog().debug("Ignoring a late report of chunk attempt {}", id);
            return null;
        }
        flight.worker().busy.remove(id);
        flight.worker().computed.remove(id);
        withdraw(flight);
        return flight;
    }
}
