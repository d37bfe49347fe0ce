package dev.weir.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The coordinator's registry of workers, hosted by a bare actor in a local actor system: listed workers are
 * asked to describe themselves, work goes to the one with the most free slots (then the one given the least),
 * a worker no longer listed (leaving) gets none and its slots no longer count, a stopped one is forgotten.
 */
class WorkerRegistryTest {

    private static final ServiceKey<Describe> KEY = ServiceKey.create(Describe.class, "test-worker");

    private final ActorTestKit testKit = ActorTestKit.create();

    /** What a test worker is asked, like {@link Worker.Describe}. */
    record Describe(ActorRef<Host> replyTo) {
    }

    interface Host {
    }

    record Listed(Receptionist.Listing listing) implements Host {
    }

    record Ready(ActorRef<Describe> worker, int slots, String node) implements Host {
    }

    record Gone(ActorRef<Describe> worker) implements Host {
    }

    /** Picks a worker and gives it {@code id}; replies with its node, or empty. */
    record Assign(String id, ActorRef<Optional<String>> replyTo) implements Host {
    }

    private static Behavior<Host> host(AtomicInteger capacity, ActorRef<String> gone) {
        return Behaviors.setup(ctx -> {
            WorkerRegistry<Describe, Host, WorkerRegistry.Registered<Describe>> registry = new WorkerRegistry<>(ctx,
                    new WorkerRegistry.Protocol<>(KEY, Listed::new, Describe::new, Gone::new, "Worker {} offers {} slots"),
                    WorkerRegistry.Registered::new, capacity);
            return Behaviors.<Host>receiveMessage(msg -> {
                if (msg instanceof Listed listed) {
                    registry.onListing(listed.listing());
                } else if (msg instanceof Ready ready) {
                    registry.onReady(ready.worker(), ready.slots(), ready.node());
                } else if (msg instanceof Gone lost) {
                    WorkerRegistry.Registered<Describe> known = registry.onGone(lost.worker());
                    gone.tell(known == null ? "unknown" : known.node + " with " + new java.util.TreeSet<>(known.busy));
                } else if (msg instanceof Assign assign) {
                    Optional<WorkerRegistry.Registered<Describe>> worker = registry.pick(w -> true);
                    worker.ifPresent(w -> registry.assign(w, assign.id()));
                    assign.replyTo().tell(worker.map(w -> w.node));
                }
                return Behaviors.same();
            });
        });
    }

    /** A worker that passes what it is asked to {@code probe}. */
    private ActorRef<Describe> worker(TestProbe<Describe> probe) {
        ActorRef<Describe> worker = testKit.spawn(Behaviors.receiveMessage(msg -> {
            probe.ref().tell(msg);
            return Behaviors.same();
        }));
        testKit.system().receptionist().tell(Receptionist.register(KEY, worker));
        return worker;
    }

    @AfterEach
    void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void workGoesToTheListedWorkerWithTheMostFreeSlotsAndALeavingWorkerGetsNone() {
        AtomicInteger capacity = new AtomicInteger();
        TestProbe<String> gone = testKit.createTestProbe();
        ActorRef<Host> host = testKit.spawn(host(capacity, gone.ref()));
        TestProbe<Describe> probeA = testKit.createTestProbe();
        TestProbe<Describe> probeB = testKit.createTestProbe();
        ActorRef<Describe> a = worker(probeA);
        ActorRef<Describe> b = worker(probeB);

        // each listed worker is asked once to describe itself; it is known when it answers
        probeA.expectMessageClass(Describe.class).replyTo().tell(new Ready(a, 2, "A"));
        probeB.expectMessageClass(Describe.class).replyTo().tell(new Ready(b, 3, "B"));
        awaitCapacity(capacity, 5);
        probeA.expectNoMessage(Duration.ofMillis(100));

        TestProbe<Optional<String>> picked = testKit.createTestProbe();
        assertEquals(Optional.of("B"), assign(host, "1", picked), "3 free slots against 2");
        assertEquals(Optional.of("A"), assign(host, "2", picked), "2 free slots each: the one given the least");

        // A leaves the listing (its node is leaving): it keeps its work, gets no new work, and its slots no longer count
        testKit.system().receptionist().tell(Receptionist.deregister(KEY, a));
        awaitCapacity(capacity, 3);
        assertEquals(Optional.of("B"), assign(host, "3", picked));
        assertEquals(Optional.of("B"), assign(host, "4", picked));
        assertEquals(Optional.empty(), assign(host, "5", picked), "B is full, and A is leaving though it has a free slot");

        // B stops: forgotten with what it held
        testKit.stop(b);
        assertEquals("B with [1, 3, 4]", gone.receiveMessage());
        awaitCapacity(capacity, 0);

        // A listed again is asked again, and gets work again
        testKit.system().receptionist().tell(Receptionist.register(KEY, a));
        probeA.expectMessageClass(Describe.class).replyTo().tell(new Ready(a, 2, "A"));
        awaitCapacity(capacity, 2);
        assertEquals(Optional.of("A"), assign(host, "6", picked));
        assertEquals(Optional.empty(), assign(host, "7", picked), "A holds 2 and 6");
    }

    private static Optional<String> assign(ActorRef<Host> host, String id, TestProbe<Optional<String>> picked) {
        host.tell(new Assign(id, picked.ref()));
        return picked.receiveMessage();
    }

    private static void awaitCapacity(AtomicInteger capacity, int expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (capacity.get() != expected && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        assertEquals(expected, capacity.get(), "the listed workers' slots");
    }
}
