package dev.weir.cluster;

import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Reads a cluster's state from a node that joined it to look ({@code weir cluster}, role {@code observer}):
 * once this node is a member (Up, or WeaklyUp while another member is unreachable), finds the chunk and
 * batch workers through the Receptionist ({@link Worker#STATUS_KEY}, {@link BatchWorker#STATUS_KEY}), asks
 * each for its {@link WorkerStatus}, and completes with the membership and the answers, a node's two put
 * together (its chunks and its streaming calls), once every reachable worker node answered and every worker
 * asked did, or when the answer bound passes (those that did not answer are listed without slots). One
 * actor per observation; it stops when it has completed.
 */
public final class ClusterObserver extends AbstractBehavior<ClusterObserver.Command> {

    /** How often the observer checks whether it has joined, and whether every worker answered. */
    private static final Duration TICK = Duration.ofMillis(100);
    private static final Set<MemberStatus> ANSWERING = Set.of(MemberStatus.joining(), MemberStatus.weaklyUp(),
            MemberStatus.up(), MemberStatus.leaving(), MemberStatus.exiting());

    public interface Command {
    }

    private record Tick() implements Command, NoSerializationVerificationNeeded {
    }

    private record JoinDeadline() implements Command, NoSerializationVerificationNeeded {
    }

    private record AnswerDeadline() implements Command, NoSerializationVerificationNeeded {
    }

    private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {
    }

    private record Answered(WorkerStatus status) implements Command, NoSerializationVerificationNeeded {
    }

    private record CallsAnswered(WorkerStatus.Calls status) implements Command, NoSerializationVerificationNeeded {
    }

    private final CompletableFuture<ClusterStatus> result;
    private final TimerScheduler<Command> timers;
    private final Duration joinBound;
    private final Duration answerBound;
    private final Cluster cluster;
    private final ActorRef<WorkerStatus> answers;
    private final ActorRef<WorkerStatus.Calls> callAnswers;
    private final Set<ActorRef<Worker.Command>> asked = new HashSet<>();
    private final Set<ActorRef<BatchWorker.Command>> askedCalls = new HashSet<>();
    private final Map<String, WorkerStatus> answered = new HashMap<>();
    private final Map<String, WorkerStatus.Calls> answeredCalls = new HashMap<>();
    private boolean joined;

    /**
     * Observes the cluster {@code system} is joining or has joined.
     *
     * @param joinBound   how long this node may take to become a member; past it the result fails with a
     *                    {@link TimeoutException}
     * @param answerBound how long the workers may take to answer, once this node is a member
     * @return completes with the status; fails when this node does not join in time or stops first
     */
    public static CompletionStage<ClusterStatus> observe(ActorSystem<?> system, Duration joinBound,
                                                         Duration answerBound) {
        Objects.requireNonNull(system, "system is null");
        Objects.requireNonNull(joinBound, "joinBound is null");
        Objects.requireNonNull(answerBound, "answerBound is null");
        CompletableFuture<ClusterStatus> result = new CompletableFuture<>();
        system.systemActorOf(Behaviors.<Command>setup(ctx -> Behaviors.withTimers(timers ->
                        new ClusterObserver(ctx, timers, result, joinBound, answerBound))),
                "weir-cluster-observer-" + System.nanoTime(), Props.empty());
        return result;
    }

    private ClusterObserver(ActorContext<Command> context, TimerScheduler<Command> timers,
                            CompletableFuture<ClusterStatus> result, Duration joinBound, Duration answerBound) {
        super(context);
        this.result = result;
        this.timers = timers;
        this.joinBound = joinBound;
        this.answerBound = answerBound;
        this.cluster = Cluster.get(context.getSystem());
        this.answers = context.messageAdapter(WorkerStatus.class, Answered::new);
        this.callAnswers = context.messageAdapter(WorkerStatus.Calls.class, CallsAnswered::new);
        timers.startTimerWithFixedDelay(new Tick(), TICK);
        timers.startSingleTimer(new JoinDeadline(), joinBound);
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Tick.class, msg -> onTick())
                .onMessage(JoinDeadline.class, msg -> {
                    if (joined) {
                        return this;
                    }
                    result.completeExceptionally(new TimeoutException("this node did not become a member of the"
                            + " cluster within " + joinBound.toMillis() + " ms (its status: "
                            + cluster.selfMember().status() + ")"));
                    return Behaviors.stopped();
                })
                .onMessage(AnswerDeadline.class, msg -> finish())
                .onMessage(Listed.class, this::onListed)
                .onMessage(Answered.class, msg -> {
                    answered.put(msg.status().node(), msg.status());
                    return allAnswered() ? finish() : this;
                })
                .onMessage(CallsAnswered.class, msg -> {
                    answeredCalls.put(msg.status().node(), msg.status());
                    return allAnswered() ? finish() : this;
                })
                .onSignal(PostStop.class, signal -> {
                    result.completeExceptionally(new IllegalStateException("the cluster observer stopped before it"
                            + " saw the cluster: its node is shutting down"));
                    return this;
                })
                .build();
    }

    private Behavior<Command> onTick() {
        if (!joined) {
            MemberStatus self = cluster.selfMember().status();
            if (self != MemberStatus.up() && self != MemberStatus.weaklyUp()) {
                return this;
            }
            joined = true;
            timers.cancel(new JoinDeadline());
            timers.startSingleTimer(new AnswerDeadline(), answerBound);
            ActorRef<Receptionist.Listing> listings = getContext().messageAdapter(Receptionist.Listing.class,
                    Listed::new);
            getContext().getSystem().receptionist().tell(Receptionist.subscribe(Worker.STATUS_KEY, listings));
            getContext().getSystem().receptionist().tell(Receptionist.subscribe(BatchWorker.STATUS_KEY, listings));
        }
        return allAnswered() ? finish() : this;
    }

    private Behavior<Command> onListed(Listed msg) {
        if (msg.listing().isForKey(BatchWorker.STATUS_KEY)) {
            return onListedCalls(msg);
        }
        for (ActorRef<Worker.Command> worker : msg.listing().getServiceInstances(Worker.STATUS_KEY)) {
            if (asked.add(worker)) {
                worker.tell(new Worker.Status(answers));
            }
        }
        return this;
    }

    private Behavior<Command> onListedCalls(Listed msg) {
        for (ActorRef<BatchWorker.Command> worker : msg.listing().getServiceInstances(BatchWorker.STATUS_KEY)) {
            if (askedCalls.add(worker)) {
                worker.tell(new BatchWorker.Status(callAnswers));
            }
        }
        return this;
    }

    /**
     * Whether every reachable worker node that is a member has answered: with a chunk or batch worker's
     * status, and with both when both were asked.
     */
    private boolean allAnswered() {
        if (!joined) {
            return false;
        }
        ClusterEvent.CurrentClusterState state = cluster.state();
        Set<Member> unreachable = state.getUnreachable();
        for (Member member : state.getMembers()) {
            String node = member.address().toString();
            if (!member.hasRole("worker") || !ANSWERING.contains(member.status()) || unreachable.contains(member)) {
                continue;
            }
            boolean chunks = answered.containsKey(node);
            boolean calls = answeredCalls.containsKey(node);
            if (!chunks && !calls) {
                return false;
            }
            boolean askedBoth = asked.stream().anyMatch(w -> onNode(w, node))
                    && askedCalls.stream().anyMatch(w -> onNode(w, node));
            if (askedBoth && !(chunks && calls)) {
                return false;
            }
        }
        return true;
    }

    private static boolean onNode(ActorRef<?> worker, String node) {
        return worker.path().address().toString().equals(node);
    }

    private Behavior<Command> finish() {
        ClusterEvent.CurrentClusterState state = cluster.state();
        Member self = cluster.selfMember();
        Set<Member> unreachable = state.getUnreachable();
        List<ClusterStatus.Member> members = new java.util.ArrayList<>();
        for (Member member : state.getMembers()) {
            if (member.equals(self)) {
                continue;
            }
            String address = member.address().toString();
            List<String> roles = member.getRoles().stream().filter(role -> !role.startsWith("dc-")).sorted().toList();
            WorkerStatus chunks = answered.get(address);
            WorkerStatus.Calls calls = answeredCalls.get(address);
            WorkerStatus worker = calls == null ? chunks : chunks == null ? calls.alone() : chunks.with(calls);
            members.add(new ClusterStatus.Member(address, roles, member.status().toString(),
                    !unreachable.contains(member), worker));
        }
        members.sort(Comparator.comparing(ClusterStatus.Member::address));
        result.complete(new ClusterStatus(self.address().toString(), members));
        return Behaviors.stopped();
    }
}
