package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchCall;
import dev.weir.engine.stream.BatchPlacement;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.TaskSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Runs a streaming graph's calls on the cluster's {@link BatchWorker}s: give it to a
 * {@link dev.weir.engine.stream.StreamExecutor}. The graph is named by its flow and its name in it; a
 * worker builds its own copy from the same flow jar ({@link FlowResolver#streamGraph}) and runs each call's
 * tasks by name, so that only ids and {@link dev.weir.cluster.channel.TableHandle}s travel in messages
 * while the batches stream over the nodes' {@link ArrowChannel}s.
 *
 * <p>A call's output belongs to the run once its stage completes; its inputs are freed when it has ended,
 * whichever way. A call whose worker is lost, or whose data cannot be pulled, runs again on another
 * worker (see {@link BatchDispatcher}), up to {@link Settings#attempts()}; a call is bounded by the sum of
 * its tasks' timeouts (a task's own {@code timeout}, else the run's {@code call-timeout}) and twice the
 * channel's transfer timeout. Thread-safe.
 */
public final class ClusterBatchPlacement implements BatchPlacement, AutoCloseable {

    private static final AtomicLong PLACEMENTS = new AtomicLong();

    /**
     * What a placement runs.
     *
     * @param flow      the flow whose code defines the graph
     * @param flowHash  the hash of that code here ({@link FlowResolver#codeHash}); the workers' must match
     * @param graph     the graph's name in the flow, as {@link FlowResolver#streamGraph} knows it
     * @param definition this node's copy of the graph, for its tasks' timeouts
     * @param transferTimeout the bound on one transfer on the side channel
     * @param attempts  how many times a call is sent before it fails, at least 1
     */
    public record Settings(String flow, String flowHash, String graph, StreamGraph definition,
                           Duration transferTimeout, int attempts) {
        public Settings {
            Objects.requireNonNull(flow, "flow is null");
            Objects.requireNonNull(flowHash, "flowHash is null");
            Objects.requireNonNull(graph, "graph is null");
            Objects.requireNonNull(definition, "definition is null");
            Objects.requireNonNull(transferTimeout, "transferTimeout is null");
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
            }
        }
    }

    private final Settings settings;
    private final ActorRef<BatchDispatcher.Command> dispatcher;
    private final ConcurrentHashMap<String, Integer> callsByNode = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger attemptsLost = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger slots = new java.util.concurrent.atomic.AtomicInteger();
    private final String prefix;
    private final AtomicLong ids = new AtomicLong();

    private ClusterBatchPlacement(ActorSystem<?> system, ArrowChannel channel, Settings settings) {
        this.settings = settings;
        long n = PLACEMENTS.incrementAndGet();
        this.prefix = Cluster.get(system).selfMember().address() + "/stream-" + n + "/";
        this.dispatcher = system.systemActorOf(BatchDispatcher.create(settings, channel, callsByNode, attemptsLost, slots),
                "weir-batch-dispatcher-" + n, Props.empty());
    }

    /** A placement on this coordinator's cluster, sending inputs over {@code channel} (this node's). */
    public static ClusterBatchPlacement start(ActorSystem<?> system, ArrowChannel channel, Settings settings) {
        return new ClusterBatchPlacement(Objects.requireNonNull(system, "system is null"),
                Objects.requireNonNull(channel, "channel is null"), Objects.requireNonNull(settings, "settings is null"));
    }

    @Override
    public CompletionStage<ArrowTable> submit(BatchCall call) {
        return submitAll(List.of(call)).get(0);
    }

    /** Sends the calls to the dispatcher in one message; it places each on its own. */
    @Override
    public List<CompletionStage<ArrowTable>> submitAll(List<BatchCall> calls) {
        List<BatchDispatcher.Submitted> submitted = new ArrayList<>(calls.size());
        List<CompletionStage<ArrowTable>> stages = new ArrayList<>(calls.size());
        for (BatchCall call : calls) {
            CompletableFuture<ArrowTable> result = new CompletableFuture<>();
            submitted.add(new BatchDispatcher.Submitted(prefix + ids.incrementAndGet(), call, result, bound(call)));
            stages.add(result);
        }
        dispatcher.tell(new BatchDispatcher.Start(submitted));
        return stages;
    }

    /** How long {@code call} may take on the cluster, transfers included. */
    private Duration bound(BatchCall call) {
        Duration bound = settings.transferTimeout().multipliedBy(2);
        for (String task : call.tasks()) {
            TaskSettings own = settings.definition().settings(task);
            bound = bound.plus(own.timeout() != null ? own.timeout() : settings.definition().runSettings().callTimeout());
        }
        return bound;
    }

    /** How many calls each worker node has returned so far, by node address. */
    public Map<String, Integer> callsByNode() {
        return Map.copyOf(callsByNode);
    }

    /** The slots of the batch workers known now (0 before any is): calls wait for a worker when none is. */
    public int slots() {
        return slots.get();
    }

    /** How many attempts were lost (a worker gone, a transfer broken) and sent again. */
    public int attemptsLost() {
        return attemptsLost.get();
    }

    /** Stops the dispatcher: calls not yet ended fail, and their inputs are freed. */
    @Override
    public void close() {
        dispatcher.tell(new BatchDispatcher.Stop());
    }
}
