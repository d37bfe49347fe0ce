package dev.weir.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * A worker's side of {@link WorkerRegistry}, owned by the worker actor ({@link Worker}, {@link BatchWorker}):
 * registers it under its Receptionist key, so that coordinators list it and ask it to describe itself;
 * names its node; refuses work of a flow whose code here differs from the coordinator's; and, when the node
 * leaves the cluster, drains: the worker leaves the listing (its coordinators give it no new work and count
 * its slots no more), finishes the work under way, then tells those waiting for the drain.
 *
 * <p>{@link #refusal} runs on blocking threads (it resolves the flow's code); everything else on the
 * actor's thread.
 *
 * @param <W> the worker's command type
 */
final class WorkerRegistration<W> {

    private final ActorContext<W> context;
    private final ServiceKey<W> key;
    private final FlowResolver flows;
    private final String node;
    /** By flow name: the hash of this node's code of it; read on blocking threads. */
    private final Map<String, Optional<String>> hashes = new ConcurrentHashMap<>();
    /** Waiting for the work under way to end before the node leaves; empty unless draining. */
    private final List<ActorRef<Done>> drained = new ArrayList<>();
    private boolean draining;

    /** Registers {@code context}'s actor under {@code key}. Call in the actor's setup. */
    WorkerRegistration(ActorContext<W> context, ServiceKey<W> key, FlowResolver flows) {
        this.context = context;
        this.key = key;
        this.flows = flows;
        this.node = Cluster.get(context.getSystem()).selfMember().address().toString();
        context.getSystem().receptionist().tell(Receptionist.register(key, context.getSelf()));
    }

    /** This worker's node, {@code pekko://SYSTEM@HOST:PORT}. */
    String node() {
        return node;
    }

    /**
     * Why this node will not run work of {@code flow} for a coordinator whose code of it has {@code hash},
     * or null when it will. Blocking (resolves the flow once); any thread.
     */
    String refusal(String flow, String hash) {
        Optional<String> own;
        try {
            own = hashes.computeIfAbsent(flow, flows::codeHash);
        } catch (RuntimeException e) {
            return "node " + node + " cannot resolve flow '" + flow + "': " + e;
        }
        if (own.isEmpty()) {
            return "node " + node + " has no flow named '" + flow + "' on its class path";
        }
        if (!own.get().equals(hash)) {
            return "node " + node + " has other code for flow '" + flow + "' (hash " + own.get()
                    + ", the coordinator's is " + hash + "): every worker must run the coordinator's flow jar";
        }
        return null;
    }

    /** Whether the node is leaving: the worker takes no new work. */
    boolean draining() {
        return draining;
    }

    /**
     * The node is leaving: the first call takes the worker off the listing and logs {@code leaving} (a
     * message with the work under way, {@code underWay}, as its placeholder); {@code done} is told once
     * {@link #checkDrained} finds the worker idle.
     */
    void drain(ActorRef<Done> done, String leaving, int underWay) {
        if (!draining) {
            draining = true;
            context.getLog().info(leaving, underWay);
            context.getSystem().receptionist().tell(Receptionist.deregister(key, context.getSelf()));
        }
        drained.add(done);
    }

    /** Tells those waiting for the drain when the worker is draining and {@code idle} (no work under way). */
    void checkDrained(boolean idle) {
        if (draining && idle && !drained.isEmpty()) {
            drained.forEach(done -> done.tell(Done.getInstance()));
            drained.clear();
        }
    }

    /** This node will not run the work; another node may. */
    static final class Refusal extends RuntimeException {
        Refusal(String reason) {
            super(reason);
        }
    }

    /** The {@link Refusal} that {@code error} is or wraps, or null. */
    static Refusal refusalIn(Throwable error) {
        if (error instanceof Refusal refusal) {
            return refusal;
        }
        return error != null && error.getCause() instanceof Refusal refusal ? refusal : null;
    }
}
