package dev.weir.cluster.node;

import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Watches the membership for coordinators: once one it has seen is removed and none is left, runs
 * {@code whenGone} once and stops. Coordinators that are only joining do not count as seen.
 */
final class CoordinatorWatch {

    private CoordinatorWatch() {
    }

    static Behavior<ClusterEvent.MemberEvent> create(Runnable whenGone) {
        return Behaviors.setup(context -> {
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(context.getSelf(),
                    ClusterEvent.MemberEvent.class));
            Set<Address> coordinators = new HashSet<>();
            // the membership as it is now (the subscription's first events need not restate it)
            for (Member member : Cluster.get(context.getSystem()).state().getMembers()) {
                if (member.hasRole(NodeRole.COORDINATOR.roleName()) && member.status() != MemberStatus.joining()) {
                    coordinators.add(member.address());
                }
            }
            return Behaviors.receive(ClusterEvent.MemberEvent.class)
                    .onMessage(ClusterEvent.MemberEvent.class, event -> {
                        Member member = event.member();
                        if (!member.hasRole(NodeRole.COORDINATOR.roleName())) {
                            return Behaviors.same();
                        }
                        if (event instanceof ClusterEvent.MemberRemoved) {
                            boolean seen = coordinators.remove(member.address());
                            if (seen && coordinators.isEmpty()) {
                                context.getLog().info("The coordinator {} has left the cluster and no other is"
                                        + " left: leaving, to join the seed nodes again", member.address());
                                whenGone.run();
                                return Behaviors.stopped();
                            }
                        } else if (member.status() != MemberStatus.joining()) {
                            coordinators.add(member.address());
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
