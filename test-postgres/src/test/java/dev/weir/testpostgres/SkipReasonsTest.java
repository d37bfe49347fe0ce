package dev.weir.testpostgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

class SkipReasonsTest {

    @Test
    void printsEachSkippedOrAbortedTestWithItsReasonAndNothingForOthers() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SkipReasons listener = new SkipReasons(new PrintStream(out, true, StandardCharsets.UTF_8));

        LauncherFactory.create(LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
                .execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(Fixture.class)).build(), listener);

        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().sorted().toList();
        assertEquals(List.of("SKIPPED SkipReasonsTest$Fixture.aborted: no PostgreSQL server configured",
                "SKIPPED SkipReasonsTest$Fixture.disabled: not today"), lines);
    }

    /** Run by the test above only: Surefire leaves out nested classes. */
    static class Fixture {
        @Test
        void aborted() {
            Assumptions.abort("no PostgreSQL server configured");
        }

        @Test
        @Disabled("not today")
        void disabled() {
        }

        @Test
        void passes() {
        }
    }
}
