package dev.weir.benchmarks;

import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.BatchInput;
import dev.weir.engine.stream.BatchResult;
import dev.weir.engine.stream.BatchSource;
import dev.weir.engine.stream.StreamExecutor;
import dev.weir.engine.stream.StreamGraph;
import dev.weir.engine.stream.StreamResults;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The streaming executor's cost per batch and task: {@code batches} small batches through a chain of
 * three tasks with trivial work (sum a column, pass the batch on), against a hand-written
 * {@code java.util.concurrent} pipeline doing the same in the same JVM — a thread per stage and bounded
 * queues between them. Both hold at most the same number of batches at once: Weir's
 * {@code max-in-flight} is set to what the pipeline can hold (its queues, one batch in the hands of
 * each of its threads and one with the reader), and the peak Arrow memory of each is reported. The two
 * alternate for several rounds after three warm-up rounds each; medians are reported, with the JVM's
 * CPU time per round: on a shared machine, where neither gets both cores, the ratio follows the CPU
 * each spends more than how it overlaps its work.
 *
 * <p>Usage: {@code benchmarks/run streaming [batches rows-per-batch rounds]} (default 10,000 × 100 × 5).
 */
public final class StreamingBenchmark {

    private static final int STAGES = 3;
    /** Batches each queue of the hand-written pipeline holds; it has one queue after each of its threads. */
    private static final int QUEUE = 2;
    /** What the hand-written pipeline holds at most: its queues, one batch per thread, one with the reader. */
    private static final int IN_FLIGHT = (STAGES + 1) * QUEUE + (STAGES + 1) + 1;
    private static volatile long sink;

    /** {@code cpuSeconds}: CPU time of the whole JVM during the round, every thread counted. */
    private record Round(double seconds, double cpuSeconds, long peakArrowBytes, long peakHeapBytes) {
    }

    public static void main(String[] args) throws Exception {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "streaming-benchmark");
        try (RootAllocator root = new RootAllocator()) {
            for (int warmUp = 0; warmUp < 3; warmUp++) {
                weir(system, root, batches, rows);
                hand(root, batches, rows);
            }
            List<Round> weir = new ArrayList<>();
            List<Round> hand = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                weir.add(weir(system, root, batches, rows));
                hand.add(hand(root, batches, rows));
            }
            report(batches, rows, rounds, weir, hand);
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    /** The trivial work each stage does: read the batch, pass it on. */
    private static ArrowTable work(ArrowTable table) {
        BigIntVector ids = (BigIntVector) table.batches().get(0).getVector(0);
        long sum = 0;
        for (int i = 0; i < ids.getValueCount(); i++) {
            sum += ids.get(i);
        }
        sink += sum;
        return table;
    }

    private static ArrowTable batch(BufferAllocator allocator, long first, int rows) {
        BigIntVector ids = new BigIntVector("id", allocator);
        ids.allocateNew(rows);
        for (int i = 0; i < rows; i++) {
            ids.set(i, first + i);
        }
        ids.setValueCount(rows);
        return ArrowTable.of(VectorSchemaRoot.of(ids));
    }

    private static Round weir(ActorSystem<Void> system, RootAllocator root, int batches, int rows) {
        StreamGraph graph = StreamGraph.builder()
                .task("a", in -> work(in.table())).source("a")
                .task("b", in -> work(in.table()), "a")
                .task("c", in -> work(in.table()), "b")
                .set("a", "parallelism", 1).set("b", "parallelism", 1).set("c", "parallelism", 1)
                .parallelism(STAGES).maxInFlight(IN_FLIGHT).maxBatches(batches)
                .build();
        BatchSource source = allocator -> new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public ArrowTable next() {
                return batch(allocator, next++ * rows, rows);
            }
        };
        resetHeapPeaks();
        try (BufferAllocator allocator = root.newChildAllocator("weir", 0, Long.MAX_VALUE)) {
            long start = System.nanoTime();
            long cpuStart = cpuNanos();
            long received = 0;
            try (StreamResults results = new StreamExecutor(system, allocator).run(graph, source)) {
                while (results.hasNext()) {
                    try (BatchResult result = results.next()) {
                        received++;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (cpuNanos() - cpuStart) / 1e9;
            check(received, batches);
            return new Round(seconds, cpu, allocator.getPeakMemoryAllocation(), heapPeak());
        }
    }

    /** The reference: one thread per stage, bounded queues in between, the caller as the consumer. */
    private static Round hand(RootAllocator root, int batches, int rows) throws Exception {
        resetHeapPeaks();
        ExecutorService threads = Executors.newFixedThreadPool(STAGES + 1);
        try (BufferAllocator allocator = root.newChildAllocator("hand", 0, Long.MAX_VALUE)) {
            long start = System.nanoTime();
            long cpuStart = cpuNanos();
            List<BlockingQueue<ArrowTable>> queues = new ArrayList<>();
            for (int i = 0; i <= STAGES; i++) {
                queues.add(new ArrayBlockingQueue<>(QUEUE));
            }
            ArrowTable end = ArrowTable.of(VectorSchemaRoot.of());
            List<Future<?>> stages = new ArrayList<>();
            stages.add(threads.submit(() -> {
                for (long b = 0; b < batches; b++) {
                    queues.get(0).put(batch(allocator, b * rows, rows));
                }
                queues.get(0).put(end);
                return null;
            }));
            for (int s = 0; s < STAGES; s++) {
                BlockingQueue<ArrowTable> in = queues.get(s);
                BlockingQueue<ArrowTable> out = queues.get(s + 1);
                stages.add(threads.submit(() -> {
                    for (ArrowTable t = in.take(); t != end; t = in.take()) {
                        out.put(work(t));
                    }
                    out.put(end);
                    return null;
                }));
            }
            long received = 0;
            for (ArrowTable t = queues.get(STAGES).take(); t != end; t = queues.get(STAGES).take()) {
                t.close();
                received++;
            }
            for (Future<?> stage : stages) {
                stage.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = (cpuNanos() - cpuStart) / 1e9;
            check(received, batches);
            return new Round(seconds, cpu, allocator.getPeakMemoryAllocation(), heapPeak());
        } finally {
            threads.shutdownNow();
        }
    }

    private static void check(long received, int batches) {
        if (received != batches) {
            throw new IllegalStateException("expected " + batches + " outputs, got " + received);
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void resetHeapPeaks() {
        System.gc();
        heapPools().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long heapPeak() {
        return heapPools().stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }

    private static List<MemoryPoolMXBean> heapPools() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
    }

    private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> f) {
        double[] v = rounds.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void report(int batches, int rows, int rounds, List<Round> weir, List<Round> hand) {
        double w = median(weir, Round::seconds);
        double h = median(hand, Round::seconds);
        double overheadMicros = (w - h) * 1e6 / ((double) batches * STAGES);
        double ratio = h / w;
        System.out.printf(Locale.ROOT, "streaming: %d batches x %d rows through %d tasks, %d rounds (median), %d cores%n",
                batches, rows, STAGES, rounds, Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "  hand-written j.u.c pipeline: %7.3f s  %9.0f batches/s  rounds %s%n",
                h, batches / h, seconds(hand));
        System.out.printf(Locale.ROOT, "  Weir streaming executor:     %7.3f s  %9.0f batches/s  rounds %s%n",
                w, batches / w, seconds(weir));
        System.out.printf(Locale.ROOT, "  overhead per batch-task:     %7.1f us  (goal <= 20 us: %s)%n",
                overheadMicros, overheadMicros <= 20 ? "met" : "NOT met");
        System.out.printf(Locale.ROOT, "  throughput ratio Weir/hand:  %7.2fx    (goal >= 0.9x: %s)%n",
                ratio, ratio >= 0.9 ? "met" : "NOT met");
        System.out.printf(Locale.ROOT, "  CPU time (all threads):      Weir %.3f s (%.2f cores busy), hand %.3f s (%.2f cores busy)%n",
                median(weir, Round::cpuSeconds), median(weir, r -> r.cpuSeconds() / r.seconds()),
                median(hand, Round::cpuSeconds), median(hand, r -> r.cpuSeconds() / r.seconds()));
        System.out.printf(Locale.ROOT, "  batches in flight at most:   %d each (Weir max-in-flight; hand: %d queues of %d, one per thread, one with the reader)%n",
                IN_FLIGHT, STAGES + 1, QUEUE);
        System.out.printf(Locale.ROOT, "  peak Arrow memory:           Weir %.1f KiB, hand %.1f KiB%n",
                median(weir, Round::peakArrowBytes) / 1024, median(hand, Round::peakArrowBytes) / 1024);
        System.out.printf(Locale.ROOT, "  peak heap (used, per round): Weir %.0f MiB, hand %.0f MiB%n",
                median(weir, Round::peakHeapBytes) / 1048576, median(hand, Round::peakHeapBytes) / 1048576);
    }

    private static String seconds(List<Round> rounds) {
        return Arrays.toString(rounds.stream().mapToDouble(Round::seconds)
                .mapToObj(s -> String.format(Locale.ROOT, "%.3f", s)).toArray());
    }
}
