package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.config.InstanceConfig.Memory;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the values of an instance's configuration are named and shown: mode names as written, sizes as read. */
class InstanceConfigValuesTest {

    @Test
    void modesAreNamedInKebabCaseOrPipedagsSnakeCaseInAnyCase() {
        assertEquals(Optional.of(Mode.FORCE_FRESH_INPUT), Mode.parse("force-fresh-input"));
        assertEquals(Optional.of(Mode.ASSERT_NO_FRESH_INPUT), Mode.parse(" ASSERT_NO_FRESH_INPUT "));
        assertEquals(Optional.of(InlineMode.DEFAULT_FALSE), InlineMode.parse("Default_False"));
        assertEquals(Optional.of(InlineMode.FORCE_TRUE), InlineMode.parse("force-true"));
        assertEquals(Optional.empty(), Mode.parse("forced"));
        assertEquals(Optional.empty(), InlineMode.parse(""));
    }

    @Test
    void aMemorySizeIsShownInTheLargestWholeOrTenthOfAUnit() {
        assertEquals("700 bytes", Memory.describe(700));
        assertEquals("1 KiB", Memory.describe(1024));
        assertEquals("1.5 GiB", Memory.describe(3L << 29));
        assertEquals("2048 TiB", Memory.describe(1L << 51));
        assertEquals("unlimited", Memory.describe(Long.MAX_VALUE));
    }

    @Test
    void theDirectMemoryLimitIsPositiveAndTheAutomaticRunBudgetThreeQuartersOfIt() {
        long limit = Memory.directMemoryLimit();
        assertTrue(limit > 0, "limit: " + limit);
        assertEquals(limit / 4 * 3, Memory.autoRun());
    }
}
