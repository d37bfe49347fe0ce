package dev.weir.benchmarks;

import java.util.Arrays;

/**
 * Seconds measured for two sides of a benchmark, one value per side per round. Runs on a shared
 * machine are noisy, so the sides alternate within each round and the summary is the median.
 */
final class Rounds {

    private final double[] weir;
    private final double[] reference;

    Rounds(int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, was " + rounds);
        }
        this.weir = new double[rounds];
        this.reference = new double[rounds];
    }

    /** True when round {@code round} runs the reference first: the order alternates between rounds. */
    static boolean referenceFirst(int round) {
        return round % 2 == 1;
    }

    void weir(int round, double seconds) {
        weir[round] = seconds;
    }

    void reference(int round, double seconds) {
        reference[round] = seconds;
    }

    double weirSeconds(int round) {
        return weir[round];
    }

    double referenceSeconds(int round) {
        return reference[round];
    }

    double medianWeirSeconds() {
        return median(weir);
    }

    double medianReferenceSeconds() {
        return median(reference);
    }

    /** The median over rounds of reference time / Weir time: above 1 means Weir is faster. */
    double medianSpeedup() {
        double[] ratios = new double[weir.length];
        for (int i = 0; i < ratios.length; i++) {
            ratios[i] = reference[i] / weir[i];
        }
        return median(ratios);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** Seconds of a timed call. */
    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
