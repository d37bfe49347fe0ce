package dev.weir.cluster.node;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * A coordinator's guardian for tests: records, with the time it saw them, each member becoming Up,
 * unreachable and removed, each {@link Echo} registered with the Receptionist, and each such actor's
 * {@link Terminated} (it watches every one, as the coordinator watches its workers).
 */
final class MembershipProbe {

    enum Kind { UP, UNREACHABLE, REMOVED, REGISTERED, TERMINATED }

    record Event(Kind kind, Address address, long nanos) {
    }

    interface Command {
    }

    private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {
    }

    private record ReachabilityChanged(ClusterEvent.ReachabilityEvent event) implements Command {
    }

    private record Listed(Receptionist.Listing listing) implements Command {
    }

    private MembershipProbe() {
    }

    static Behavior<Command> create(BlockingQueue<Event> events) {
        return Behaviors.setup(context -> {
            Cluster cluster = Cluster.get(context.getSystem());
            cluster.subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.MemberEvent.class, MemberChanged::new),
                    ClusterEvent.MemberEvent.class));
            cluster.subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.ReachabilityEvent.class, ReachabilityChanged::new),
                    ClusterEvent.ReachabilityEvent.class));
            context.getSystem().receptionist().tell(Receptionist.subscribe(Echo.KEY,
                    context.messageAdapter(Receptionist.Listing.class, Listed::new)));
            Set<ActorRef<Echo.Ping>> watched = new HashSet<>();
            return Behaviors.receive(Command.class)
                    .onMessage(MemberChanged.class, m -> {
                        if (m.event() instanceof ClusterEvent.MemberUp up) {
                            events.add(new Event(Kind.UP, up.member().address(), System.nanoTime()));
                        } else if (m.event() instanceof ClusterEvent.MemberRemoved removed) {
                            events.add(new Event(Kind.REMOVED, removed.member().address(), System.nanoTime()));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(ReachabilityChanged.class, m -> {
                        if (m.event() instanceof ClusterEvent.UnreachableMember u) {
                            events.add(new Event(Kind.UNREACHABLE, u.member().address(), System.nanoTime()));
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Listed.class, m -> {
                        for (ActorRef<Echo.Ping> ref : m.listing().getServiceInstances(Echo.KEY)) {
                            if (watched.add(ref)) {
                                context.watch(ref);
                                events.add(new Event(Kind.REGISTERED, ref.path().address(), System.nanoTime()));
                            }
                        }
                        return Behaviors.same();
                    })
                    .onSignal(Terminated.class, t -> {
                        watched.remove(t.getRef());
                        events.add(new Event(Kind.TERMINATED, t.getRef().path().address(), System.nanoTime()));
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
