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
 * A worker node's chunk runner ({@link #chunks}) or streaming-call runner ({@link #calls}) that takes work
 * and never runs it, so that a test holds the rows sent with it at a known point: it starts pulling the rows
 * of the first chunk or call it is given into memory whose first allocation waits until the test
 * {@link #release releases} it (the transfer is then under way, the coordinator streaming it, not
 * acknowledged), and leaves the rows of the others on offer, unpulled. It reports nothing. Speaks the real
 * {@link Worker} or {@link BatchWorker} protocol, through the Receptionist, on a node of its own.
 */
final class HoldingWorker implements AutoCloseable {

    /** The longest the held pull waits for {@link #release}: longer than any test here runs. */
    private static final Duration BOUND = Duration.ofMinutes(2);

    private final CountDownLatch streaming = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final ArrowChannel channel = ArrowChannel.start("127.0.0.1", 0, null, Duration.ofSeconds(60));
    private final ExecutorService puller = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "holding-worker-pull");
        thread.setDaemon(true);
        return thread;
    });
    private final BufferAllocator memory;
    private volatile CompletableFuture<Void> pull;

    /** A chunk runner with {@code slots} slots on {@code node}'s actor system; its pull allocates from {@code node}. */
    static HoldingWorker chunks(TestCluster.WorkerNode node, int slots) {
        HoldingWorker worker = new HoldingWorker(node);
        worker.spawnChunks(node.system, slots);
        return worker;
    }

    /** A streaming-call runner with {@code slots} slots on {@code node}'s actor system. */
    static HoldingWorker calls(TestCluster.WorkerNode node, int slots) {
        HoldingWorker worker = new HoldingWorker(node);
        worker.spawnCalls(node.system, slots);
        return worker;
    }

    private HoldingWorker(TestCluster.WorkerNode node) {
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
    }

    private void spawnChunks(ActorSystem<Void> system, int slots) {
        system.systemActorOf(Behaviors.<Worker.Command>setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(Worker.KEY, ctx.getSelf()));
            return Behaviors.receive(Worker.Command.class)
                    .onMessage(Worker.Describe.class, msg -> {
                        msg.replyTo().tell(new ChunkDispatcher.WorkerReady(ctx.getSelf(), slots, "holding-worker"));
                        return Behaviors.same();
                    })
                    .onMessage(Worker.RunChunk.class, msg -> {
                        take(msg.id(), msg.inline().stream().map(Worker.InlineInput::rows).toList());
                        return Behaviors.same();
                    })
                    .onAnyMessage(msg -> Behaviors.same()) // cancels and interrupts: nothing runs here
                    .build();
        }), "holding-worker", Props.empty());
    }

    private void spawnCalls(ActorSystem<Void> system, int slots) {
        system.systemActorOf(Behaviors.<BatchWorker.Command>setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(BatchWorker.KEY, ctx.getSelf()));
            return Behaviors.receive(BatchWorker.Command.class)
                    .onMessage(BatchWorker.Describe.class, msg -> {
                        msg.replyTo().tell(new BatchDispatcher.WorkerReady(ctx.getSelf(), slots, "holding-worker"));
                        return Behaviors.same();
                    })
                    .onMessage(BatchWorker.RunCall.class, msg -> {
                        take(msg.id() + "#" + msg.attempt(), msg.inputs());
                        return Behaviors.same();
                    })
                    .onAnyMessage(msg -> Behaviors.same())
                    .build();
        }), "holding-batch-worker", Props.empty());
    }

    /** Records {@code id}; the first one's rows are pulled, and held mid-transfer. */
    private void take(String id, List<dev.weir.cluster.channel.TableHandle> rows) {
        received.add(id);
        if (received.size() == 1) {
            pull = CompletableFuture.runAsync(() -> {
                for (dev.weir.cluster.channel.TableHandle handle : rows) {
                    try (ArrowTable pulled = channel.pull(handle, memory)) {
                        pulled.rowCount();
                    }
                }
            }, puller);
        }
    }

    /** Whether the held pull has begun receiving rows (the coordinator is streaming them). */
    boolean streaming() {
        return streaming.getCount() == 0;
    }

    /** The chunk attempts or calls (id#attempt) it was given, in order. */
    List<String> received() {
        return List.copyOf(received);
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
