package dev.weir.engine.config;

import java.util.Locale;

/**
 * Sizes of Arrow (off-heap) memory, for {@link InstanceConfig.Memory}: the JVM's limit on direct memory,
 * which bounds every budget, and a size written as a user would write it in a message.
 */
final class MemorySizes {

    private static final String[] UNITS = {"bytes", "KiB", "MiB", "GiB", "TiB"};

    private MemorySizes() {
    }

    /** See {@link InstanceConfig.Memory#directMemoryLimit()}. */
    static long directMemoryLimit() {
        try {
            var diagnostics = java.lang.management.ManagementFactory.getPlatformMXBean(
                    com.sun.management.HotSpotDiagnosticMXBean.class);
            long set = diagnostics == null ? 0
                    : Long.parseLong(diagnostics.getVMOption("MaxDirectMemorySize").getValue());
            return set > 0 ? set : Runtime.getRuntime().maxMemory();
        } catch (RuntimeException e) {
            return Runtime.getRuntime().maxMemory(); // not HotSpot: the JDK's own default
        }
    }

    /** See {@link InstanceConfig.Memory#describe(long)}. */
    static String describe(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "unlimited";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " bytes" : (value == Math.rint(value)
                ? String.format(Locale.ROOT, "%d %s", (long) value, UNITS[unit])
                : String.format(Locale.ROOT, "%.1f %s", value, UNITS[unit]));
    }
}
