package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

    @Test
    void eachDurationInTheLargestUnitThatHoldsItWhole() {
        assertEquals("10 min", Durations.human(Duration.ofMinutes(10)));
        assertEquals("2 h", Durations.human(Duration.ofHours(2)));
        assertEquals("90 min", Durations.human(Duration.ofMinutes(90)));
        assertEquals("2 s", Durations.human(Duration.ofSeconds(2)));
        assertEquals("500 ms", Durations.human(Duration.ofMillis(500)));
        assertEquals("0 s", Durations.human(Duration.ZERO));
    }
}
