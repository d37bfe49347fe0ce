package dev.weir.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Peak memory of this JVM over a measured span: the JVM's own peak of each heap pool (reset at the
 * start, summed at the end — an upper bound, as the pools need not peak together), the largest used
 * heap seen by a sampler every 50 ms, and the largest heap left after a collection (what the program
 * kept alive, rather than how lazily the collector ran under a generous {@code -Xmx}). One per JVM: the benchmark runs each variant in a JVM of
 * its own so that peaks do not mix.
 */
final class MemoryPeaks implements AutoCloseable {

    private final List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).toList();
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long sampledPeak;
    private volatile long afterGcPeak;

    private MemoryPeaks() {
        System.gc();
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
        sampledPeak = usedHeap();
        sampler = new Thread(this::sample, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    /** Collects garbage, resets the peaks and starts sampling; the caller closes it to stop. */
    static MemoryPeaks start() {
        return new MemoryPeaks();
    }

    private void sample() {
        while (running) {
            sampledPeak = Math.max(sampledPeak, usedHeap());
            afterGcPeak = Math.max(afterGcPeak, afterGc());
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private long usedHeap() {
        long used = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            used += pool.getUsage().getUsed();
        }
        return used;
    }

    private long afterGc() {
        long used = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            if (pool.getCollectionUsage() != null) {
                used += pool.getCollectionUsage().getUsed();
            }
        }
        return used;
    }

    /** The largest heap in use right after a collection, as sampled (the live set's high-water mark). */
    long afterGcPeak() {
        return Math.max(afterGcPeak, afterGc());
    }

    /** The sum over heap pools of each pool's peak since the start. */
    long poolPeakSum() {
        long sum = 0;
        for (MemoryPoolMXBean pool : heapPools) {
            sum += pool.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** The largest used heap (all pools at once) seen by the sampler. */
    long sampledPeak() {
        return Math.max(sampledPeak, usedHeap());
    }

    /** The process's peak resident set ({@code VmHWM}) since it started, or -1 where /proc is missing. */
    static long peakResidentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        sampler.interrupt();
        sampler.join();
    }
}
