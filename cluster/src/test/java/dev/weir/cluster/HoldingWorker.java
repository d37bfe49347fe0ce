package dev.weir.cluster;

import dev.weir.cluster.channel.ArrowChannel;
import dev.weir.engine.data.ArrowTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * A worker node's chunk runner that takes chunks and never runs them, so that a test holds a chunk's
 * inlined rows at a known point: it starts pulling the rows of the first chunk it is given into memory whose
 * first allocation waits until the test {@link #release releases} it (the transfer is then under way, the
 * coordinator streaming it, not acknowledged), and leaves the rows of the other chunks on offer, unpulled.
 * It reports nothing, and records the chunks the coordinator dropped. Speaks the real {@link Worker}
 * protocol, through the Receptionist, on a node of its own.
 */
final class HoldingWorker implements AutoCloseable {

    /** The longest the held pull waits for {@link #release}: longer than any test here runs. */
    private static final Duration BOUND = Duration.ofMinutes(2);

    private final CountDownLatch streaming = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<String> dropped = new CopyOnWriteArrayList<>();
    private final ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(60));
    private final ExecutorService puller = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "holding-worker-pull");
        thread.setDaemon(true);
        return thread;
    });
    private final BufferAllocator memory;
    private volatile CompletableFuture<Void> pull;

    /** Spawns the worker with {@code slots} slots on {@code node}'s actor system; its pull allocates from {@code node}. */
    HoldingWorker(TestCluster.WorkerNode node, int slots) {
        this.memory = node.allocator.newChildAllocator("held-pull", new AllocationListener() {
            @Override
            public void onPreAllocation(long size) {
                streaming.countDown();
                try {
                    if (!released.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                        throw new IllegalStateException("the test never released the held pull");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }, 0, Long.MAX_VALUE);
        spawn(node.system, slots);
    }

    private void spawn(ActorSystem<Void> system, int slots) {
        system.systemActorOf(Behaviors.<Worker.Command>setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(Worker.KEY, ctx.getSelf()));
            return Behaviors.receive(Worker.Command.class)
                    .onMessage(Worker.Describe.class, msg -> {
                        msg.replyTo().tell(new ChunkDispatcher.WorkerReady(ctx.getSelf(), slots, "holding-worker"));
                        return Behaviors.same();
                    })
                    .onMessage(Worker.RunChunk.class, msg -> {
                        received.add(msg.id());
                        if (received.size() == 1) {
                            pull = CompletableFuture.runAsync(() -> {
                                for (Worker.InlineInput input : msg.inline()) {
                                    try (ArrowTable rows = channel.pull(input.rows(), memory)) {
                                        rows.rowCount();
                                    }
                                }
                            }, puller);
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Worker.CancelChunk.class, msg -> {
                        dropped.add(msg.id());
                        return Behaviors.same();
                    })
                    .onMessage(Worker.InterruptChunk.class, msg -> {
                        dropped.add(msg.id());
                        return Behaviors.same();
                    })
                    .build();
        }), "holding-worker", Props.empty());
    }

    /** Whether the held pull has begun receiving rows (the coordinator is streaming them). */
    boolean streaming() {
        return streaming.getCount() == 0;
    }

    /** The chunk attempts it was given, in order. */
    List<String> received() {
        return List.copyOf(received);
    }

    /** The chunk attempts the coordinator cancelled or interrupted. */
    List<String> dropped() {
        return List.copyOf(dropped);
    }

    /**
     * Lets the held pull go on (it then ends, pulled or broken off) and waits for it, then frees this worker's
     * memory, failing on a leak.
     */
    void release() {
        released.countDown();
        CompletableFuture<Void> held = pull;
        if (held != null) {
            try {
                held.get(BOUND.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // a transfer withdrawn mid-stream is broken off: that is for the coordinator to decide
            } catch (Exception e) {
                throw new AssertionError("the held pull did not end", e);
            }
        }
    }

    @Override
    public void close() {
        release();
        puller.shutdownNow();
        channel.close();
        memory.close();
    }
}
