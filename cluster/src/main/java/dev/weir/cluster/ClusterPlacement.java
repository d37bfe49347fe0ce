package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.placement.ChunkCall;
import dev.weir.engine.placement.ChunkCallback;
import dev.weir.engine.placement.ChunkPlacement;
import dev.weir.engine.placement.ChunkWork;
import dev.weir.engine.stream.BatchPlacement;
import dev.weir.engine.stream.StreamGraph;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Runs a coordinator's chunks on the cluster's workers: give it to a run with
 * {@link dev.weir.engine.RunOptions#chunkPlacement}. Spawns a {@link ChunkDispatcher} on the
 * coordinator's actor system (a cluster member), which hands chunks to workers with free slots. Refuses
 * a run on an embedded DuckDB database, which the workers' processes cannot write. Started with an
 * {@link ArrowChannel}, it also places the calls of a run's streaming graphs
 * ({@link dev.weir.engine.TaskContext#streamPlacement}) on the workers' {@link BatchWorker}s, one
 * {@link ClusterBatchPlacement} per flow and graph, closed with this. Thread-safe.
 */
public final class ClusterPlacement implements ChunkPlacement, dev.weir.engine.stream.StreamPlacements, AutoCloseable {

    private static final AtomicLong PLACEMENTS = new AtomicLong();
    /** The bound on one transfer of a streaming call's batch, and how long an unpulled one is kept. */
    static final java.time.Duration STREAM_TRANSFER_TIMEOUT = java.time.Duration.ofMinutes(2);
    /** How many times a streaming call is sent before it fails (a worker lost each time). */
    static final int STREAM_ATTEMPTS = 3;

    private final ActorRef<ChunkDispatcher.Command> dispatcher;
    private final FlowResolver flows;
    private final AtomicInteger capacity = new AtomicInteger();
    private final ConcurrentHashMap<String, Integer> chunksByNode = new ConcurrentHashMap<>();
    private final Map<String, String> hashes = new ConcurrentHashMap<>();
    private final String prefix;
    private final AtomicLong ids = new AtomicLong();

    private final ActorSystem<?> system;
    private final ArrowChannel channel;
    private final ConcurrentHashMap<String, ClusterBatchPlacement> streams = new ConcurrentHashMap<>();

    private ClusterPlacement(ActorSystem<?> system, FlowResolver flows, ArrowChannel channel) {
        this.flows = flows;
        this.system = system;
        this.channel = channel;
        long n = PLACEMENTS.incrementAndGet();
        this.prefix = Cluster.get(system).selfMember().address() + "/" + n + "/";
        this.dispatcher = system.systemActorOf(ChunkDispatcher.create(capacity, chunksByNode, channel),
                "weir-chunk-dispatcher-" + n, Props.empty());
    }

    /**
     * A placement on this coordinator's cluster; {@code flows} gives the hash of a run's flow code, which
     * the workers' must match.
     */
    public static ClusterPlacement start(ActorSystem<?> system, FlowResolver flows) {
        return new ClusterPlacement(Objects.requireNonNull(system, "system is null"),
                Objects.requireNonNull(flows, "flows is null"), null);
    }

    /**
     * A placement that also runs streaming graphs' calls on the workers, sending their batches over
     * {@code channel} (this node's, which the caller closes after this placement).
     */
    public static ClusterPlacement start(ActorSystem<?> system, FlowResolver flows, ArrowChannel channel) {
        return new ClusterPlacement(Objects.requireNonNull(system, "system is null"),
                Objects.requireNonNull(flows, "flows is null"), Objects.requireNonNull(channel, "channel is null"));
    }

    /** Calls of streaming graphs go to the workers when this placement has a side channel; else null (local). */
    @Override
    public BatchPlacement forGraph(String flow, String graph, StreamGraph definition) {
        if (channel == null) {
            return null;
        }
        return streams.computeIfAbsent(flow + "\u0000" + graph, key -> ClusterBatchPlacement.start(system, channel,
                new ClusterBatchPlacement.Settings(flow, hashOf(flow), graph, definition,
                        STREAM_TRANSFER_TIMEOUT, STREAM_ATTEMPTS)));
    }

    /** Streaming calls that returned, by worker node address, over every graph so far. */
    public Map<String, Integer> streamCallsByNode() {
        Map<String, Integer> calls = new java.util.TreeMap<>();
        streams.values().forEach(placement -> placement.callsByNode().forEach((node, n) -> calls.merge(node, n,
                Integer::sum)));
        return calls;
    }

    @Override
    public void admit(String flow, String instance, String storeKind) {
        if ("duckdb".equals(storeKind)) {
            throw new IllegalStateException("instance '" + instance + "' keeps its tables in an embedded DuckDB"
                    + " database, which only this process can write, so flow '" + flow + "' cannot run its chunks on"
                    + " worker nodes: a cluster run needs a shared store (PostgreSQL). Configure a postgres table store"
                    + " for the instance, or run without the cluster");
        }
        hashOf(flow);
    }

    private String hashOf(String flow) {
        return hashes.computeIfAbsent(flow, name -> flows.codeHash(name).orElseThrow(() -> new IllegalStateException(
                "flow '" + name + "' is not among the flows this coordinator resolves for its workers; the workers"
                        + " find a flow's code by its name")));
    }

    @Override
    public int capacity() {
        return Math.max(1, capacity.get());
    }

    /** The workers' slots now (0 before any worker is known). */
    public int slots() {
        return capacity.get();
    }

    /** How many chunks each worker node has uploaded so far, by node address. */
    public Map<String, Integer> chunksByNode() {
        return Map.copyOf(chunksByNode);
    }

    /**
     * With a side channel, a chunk's rows of its inlined inputs go to the worker that runs it: the
     * coordinator offers them when it hands the chunk over (the channel owns their memory from then on),
     * and the worker pulls them. An attempt the run cancels or interrupts frees its rows within that call,
     * so that none of the run's memory is held for it once the run hears it has ended.
     */
    @Override
    public boolean carriesInline() {
        return channel != null;
    }

    @Override
    public ChunkCall start(ChunkWork work, ChunkCallback callback) {
        return start(work, Map.of(), callback);
    }

    @Override
    public ChunkCall start(ChunkWork work, Map<String, dev.weir.engine.data.ArrowTable> inline, ChunkCallback callback) {
        String id = prefix + ids.incrementAndGet();
        String hash;
        try {
            if (!inline.isEmpty() && channel == null) {
                throw new IllegalStateException("this placement has no Arrow side channel to send the inlined inputs "
                        + inline.keySet() + " of " + work.describe());
            }
            hash = hashOf(work.flow());
        } catch (RuntimeException e) {
            inline.values().forEach(dev.weir.engine.data.ArrowTable::close);
            throw e;
        }
        InlineRows rows = inline.isEmpty() ? InlineRows.none() : new InlineRows(inline);
        dispatcher.tell(new ChunkDispatcher.Start(id, work, hash, callback, rows));
        return new ChunkCall() {
            @Override
            public void upload() {
                dispatcher.tell(new ChunkDispatcher.Upload(id));
            }

            /** Frees the attempt's rows here and now (see {@link InlineRows}); the worker hears of it next. */
            @Override
            public void cancel() {
                rows.end(channel);
                dispatcher.tell(new ChunkDispatcher.Cancel(id));
            }

            @Override
            public void interrupt(String reason) {
                rows.end(channel);
                dispatcher.tell(new ChunkDispatcher.Interrupt(id, reason));
            }
        };
    }

    /** Stops the dispatcher: chunks in flight are forgotten (their runs should have ended). */
    @Override
    public void close() {
        streams.values().forEach(ClusterBatchPlacement::close);
        dispatcher.tell(new ChunkDispatcher.Stop());
    }
}
