package dev.weir.benchmarks;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * Where the resident set of this JVM stands at its largest: a sampler reads {@code VmRSS} every 200 ms
 * and, when the JVM runs with {@code -XX:NativeMemoryTracking=summary}, takes the native memory summary
 * ({@code jcmd VM.native_memory summary}, through the diagnostic command MBean) each time the resident
 * set grew by more than 5 % over the last summary, so the summary printed is one taken near the peak.
 * The part of the resident set that NMT does not know (memory of native libraries such as DuckDB or
 * the PostgreSQL driver's none, glibc arenas' slack) is the resident set minus NMT's committed total.
 */
final class ResidentPeak implements AutoCloseable {

    private static final Pattern CATEGORY = Pattern.compile(
            "-\\s+([A-Za-z ]+?) \\(reserved=\\d+KB, committed=(\\d+)KB\\)");
    private static final Pattern TOTAL = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB");

    private final boolean tracking = ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .anyMatch(a -> a.startsWith("-XX:NativeMemoryTracking=") && !a.endsWith("=off"));
    private final Thread sampler;
    private volatile boolean running = true;
    private volatile long peakRss;
    private volatile long summaryRss;
    private volatile String summary;

    private ResidentPeak() {
        sampler = new Thread(this::sample, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    static ResidentPeak start() {
        return new ResidentPeak();
    }

    private void sample() {
        while (running) {
            long rss = status("VmRSS:");
            peakRss = Math.max(peakRss, rss);
            if (tracking && rss > summaryRss * 1.05) {
                String text = nativeMemory();
                if (text != null) {
                    summary = text;
                    summaryRss = rss;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Prints the peak and, with tracking, NMT's committed memory by category at the last summary. */
    void print() {
        System.out.printf(Locale.ROOT, "sampled peak RSS %,d MiB (VmHWM %,d MiB)%n", peakRss >> 20,
                status("VmHWM:") >> 20);
        String text = summary;
        if (text == null) {
            return;
        }
        StringBuilder line = new StringBuilder();
        Matcher m = CATEGORY.matcher(text);
        while (m.find()) {
            long mib = Long.parseLong(m.group(2)) >> 10;
            if (mib >= 2) {
                line.append(String.format(Locale.ROOT, " %s %,d;", m.group(1).trim(), mib));
            }
        }
        Matcher total = TOTAL.matcher(text);
        long committed = total.find() ? Long.parseLong(total.group(1)) << 10 : 0;
        System.out.printf(Locale.ROOT, "NMT at RSS %,d MiB: committed %,d MiB, outside NMT %,d MiB; by category (MiB):%s%n",
                summaryRss >> 20, committed >> 20, (summaryRss - committed) >> 20, line);
    }

    private static String nativeMemory() {
        try {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        } catch (Exception e) {
            return null;
        }
    }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (Exception e) {
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
