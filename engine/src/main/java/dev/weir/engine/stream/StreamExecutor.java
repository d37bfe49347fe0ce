package dev.weir.engine.stream;

import dev.weir.engine.runtime.Engine;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Runs streaming graphs: each run is one {@link StreamRun} actor under {@code system}, its task calls
 * placed by a {@link BatchPlacement} (by default on the engine's blocking dispatcher,
 * {@value Engine#BLOCKING_DISPATCHER}). Thread-safe; runs are independent.
 *
 * <p><b>Memory.</b> Source batches are allocated from {@code allocator} (and tasks get it to allocate
 * their outputs); the executor does not own it. After a run has ended and its results are closed, the
 * run holds no buffer.
 */
public final class StreamExecutor {

    private final ActorSystem<?> system;
    private final BufferAllocator allocator;
    private final Executor blocking;
    private final BatchPlacement placement;
    private final AtomicLong runs = new AtomicLong();

    /** Places task calls on the blocking dispatcher of {@code system}. */
    public StreamExecutor(ActorSystem<?> system, BufferAllocator allocator) {
        this(system, allocator, null);
    }

    public StreamExecutor(ActorSystem<?> system, BufferAllocator allocator, BatchPlacement placement) {
        this.system = Objects.requireNonNull(system, "system is null");
        this.allocator = Objects.requireNonNull(allocator, "allocator is null");
        this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig(Engine.BLOCKING_DISPATCHER));
        this.placement = placement != null ? placement : BatchPlacement.local(blocking);
    }

    /** Starts a run; read its outputs from the returned results and close them. */
    public StreamResults run(StreamGraph graph, BatchSource source) {
        return run(graph, source, null);
    }

    /**
     * Starts a run whose progress goes to {@code listener} (may be null) every {@code progress-interval}
     * and once at the end.
     */
    public StreamResults run(StreamGraph graph, BatchSource source, ActorRef<StreamProgress> listener) {
        Objects.requireNonNull(graph, "graph is null");
        Objects.requireNonNull(source, "source is null");
        CompletableFuture<StreamSummary> done = new CompletableFuture<>();
        ActorRef<StreamRun.Command> run = system.systemActorOf(
                StreamRun.create(graph, source, placement, blocking, allocator, listener, done),
                "stream-run-" + runs.incrementAndGet() + "-" + System.identityHashCode(this), Props.empty());
        return new StreamResults(run, done);
    }

    /**
     * The outputs of a run started when the source is materialized, with back-pressure: the run pulls
     * source batches only as fast as downstream demands outputs. Cancelling the stream cancels the run.
     * Each element belongs to the stream's consumer, which closes it.
     */
    public Source<BatchResult, NotUsed> source(StreamGraph graph, BatchSource source) {
        return Source.unfoldResourceAsync(
                () -> CompletableFuture.completedFuture(run(graph, source)),
                results -> results.nextAsync().thenApply(Optional::ofNullable),
                results -> CompletableFuture.supplyAsync(() -> {
                    results.close();
                    return Done.getInstance();
                }, blocking));
    }

    /**
     * Runs the graph and writes every output as a Parquet file under {@code dir}: with
     * {@code partitionByTask}, one directory per terminal task holding {@code batch-<id>.parquet}
     * (a batch split on its way adds {@code -<part>}); without, {@code <task>-batch-<id>.parquet} in
     * {@code dir}. Blocking: writes on the calling thread while the run goes on.
     *
     * @throws StreamFailedException when the run fails
     */
    public StreamSummary writeTo(StreamGraph graph, BatchSource source, Path dir, boolean partitionByTask) {
        return writeTo(graph, source, dir, partitionByTask, null);
    }

    public StreamSummary writeTo(StreamGraph graph, BatchSource source, Path dir, boolean partitionByTask,
                                 ActorRef<StreamProgress> listener) {
        try (ParquetWriter writer = ParquetWriter.load(Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : StreamExecutor.class.getClassLoader());
             StreamResults results = run(graph, source, listener)) {
            while (results.hasNext()) {
                try (BatchResult result = results.next()) {
                    writer.write(result.table(), fileFor(dir, result, partitionByTask));
                }
            }
            return results.awaitSummary();
        }
    }

    /** Where {@link #writeTo} puts {@code result}. */
    public static Path fileFor(Path dir, BatchResult result, boolean partitionByTask) {
        String name = String.format("batch-%08d%s.parquet", result.batchId(),
                result.part() == 0 ? "" : "-" + result.part());
        return partitionByTask ? dir.resolve(result.task()).resolve(name) : dir.resolve(result.task() + "-" + name);
    }
}
