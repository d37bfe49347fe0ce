package dev.weir.cluster;

import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A coordinator's registry of the workers of one kind ({@link Worker}s for {@link ChunkDispatcher},
 * {@link BatchWorker}s for {@link BatchDispatcher}), owned by the dispatcher actor and used only on its
 * thread. It subscribes to the Receptionist for the workers' key and asks each newly listed worker to
 * describe itself; a worker that answers ({@link #onReady}) is known, with its slots, and watched, so that
 * the dispatcher learns when it is gone ({@link #onGone}). A known worker that is no longer listed is
 * leaving the cluster (it drains): it keeps its work but gets no new work ({@link #pick}), and its slots no
 * longer count in the capacity. The capacity (the listed workers' slots) is kept in an {@link AtomicInteger}
 * that the dispatcher's placement reads from other threads.
 *
 * @param <W> the workers' command type
 * @param <C> the dispatcher's command type
 * @param <S> what the dispatcher keeps of each worker
 */
final class WorkerRegistry<W, C, S extends WorkerRegistry.Registered<W>> {

    /**
     * A known worker: its slots, the attempts it holds, how many it was given, and whether it is still
     * listed. A dispatcher extends it with what it keeps of its own.
     */
    static class Registered<W> {
        final ActorRef<W> ref;
        final int slots;
        final String node;
        /** Every attempt it holds. */
        final Set<String> busy = new HashSet<>();
        long assigned;
        /** False once it left the Receptionist's listing: it is leaving and gets no new work. */
        boolean listed = true;

        Registered(ActorRef<W> ref, int slots, String node) {
            this.ref = ref;
            this.slots = slots;
            this.node = node;
        }

        /** Slots free for new work. */
        int free() {
            return slots - busy.size();
        }
    }

    /** How the dispatcher makes its record of a worker that described itself. */
    @FunctionalInterface
    interface Factory<W, S> {
        S create(ActorRef<W> worker, int slots, String node);
    }

    /**
     * What the registry sends, and how it names the workers in its log.
     *
     * @param key      the Receptionist key the workers register under
     * @param listed   wraps the Receptionist's listing in a dispatcher message
     * @param describe a worker's request to describe itself, answered to the dispatcher
     * @param gone     the dispatcher's message when a known worker stops or its node is lost
     * @param ready    the log line for a new worker, with the node and its slots as placeholders
     */
    record Protocol<W, C>(ServiceKey<W> key, Function<Receptionist.Listing, C> listed,
                          Function<ActorRef<C>, W> describe, Function<ActorRef<W>, C> gone, String ready) {
    }

    private final ActorContext<C> context;
    private final Protocol<W, C> protocol;
    private final Factory<W, S> factory;
    private final AtomicInteger capacity;
    private final Map<ActorRef<W>, S> workers = new LinkedHashMap<>();
    /** Listed workers asked to describe themselves (known or not yet answered). */
    private final Set<ActorRef<W>> asked = new HashSet<>();

    /** Subscribes {@code context}'s actor to the listing of {@code protocol}'s key. Call in the actor's setup. */
    WorkerRegistry(ActorContext<C> context, Protocol<W, C> protocol, Factory<W, S> factory, AtomicInteger capacity) {
        this.context = context;
        this.protocol = protocol;
        this.factory = factory;
        this.capacity = capacity;
        ActorRef<Receptionist.Listing> adapter = context.messageAdapter(Receptionist.Listing.class,
                protocol.listed()::apply);
        context.getSystem().receptionist().tell(Receptionist.subscribe(protocol.key(), adapter));
    }

    /** The Receptionist's listing changed: asks new workers to describe themselves, marks those no longer listed. */
    void onListing(Receptionist.Listing listing) {
        Set<ActorRef<W>> listed = listing.getServiceInstances(protocol.key());
        for (ActorRef<W> worker : listed) {
            if (asked.add(worker)) {
                worker.tell(protocol.describe().apply(context.getSelf()));
            }
        }
        for (S worker : workers.values()) {
            // a worker leaving the cluster is no longer listed: it finishes its work and takes no new work
            worker.listed = listed.contains(worker.ref);
        }
        asked.retainAll(listed);
        updateCapacity();
    }

    /** A worker described itself: known and watched from now on. False when it was known already. */
    boolean onReady(ActorRef<W> worker, int slots, String node) {
        if (workers.containsKey(worker)) {
            return false;
        }
        context.getLog().info(protocol.ready(), node, slots);
        workers.put(worker, factory.create(worker, slots, node));
        context.watchWith(worker, protocol.gone().apply(worker));
        updateCapacity();
        return true;
    }

    /** A watched worker stopped or its node was lost: forgotten; what was known of it, or null. */
    S onGone(ActorRef<W> worker) {
        S gone = workers.remove(worker);
        asked.remove(worker);
        updateCapacity();
        return gone;
    }

    /** The known worker {@code worker}, or null. */
    S get(ActorRef<W> worker) {
        return workers.get(worker);
    }

    boolean isEmpty() {
        return workers.isEmpty();
    }

    Collection<S> workers() {
        return workers.values();
    }

    /**
     * The listed worker with a free slot that {@code eligible} accepts, the one with the most free slots
     * first and, among those, the one given the least work so far, so that work spreads over every worker.
     */
    Optional<S> pick(Predicate<? super S> eligible) {
        return workers.values().stream()
                .filter(w -> w.listed && w.free() > 0 && eligible.test(w))
                .max(Comparator.comparingInt(S::free).thenComparing(w -> -w.assigned));
    }

    /** {@code worker} now holds the attempt {@code id}. */
    void assign(S worker, String id) {
        worker.busy.add(id);
        worker.assigned++;
    }

    private void updateCapacity() {
        capacity.set(workers.values().stream().filter(w -> w.listed).mapToInt(w -> w.slots).sum());
    }
}
