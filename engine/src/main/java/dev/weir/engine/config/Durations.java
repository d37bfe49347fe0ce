package dev.weir.engine.config;

import java.time.Duration;

/** Durations as people read them in messages: {@code 10 min}, {@code 2 s}, {@code 500 ms}, {@code 1 h}. */
public final class Durations {

    private Durations() {
    }

    /** {@code d} in the largest unit that holds it whole: hours, minutes, seconds, else milliseconds. */
    public static String human(Duration d) {
        long millis = d.toMillis();
        if (millis != 0 && millis % 3_600_000 == 0) {
            return millis / 3_600_000 + " h";
        }
        if (millis != 0 && millis % 60_000 == 0) {
            return millis / 60_000 + " min";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + " s";
        }
        return millis + " ms";
    }
}
