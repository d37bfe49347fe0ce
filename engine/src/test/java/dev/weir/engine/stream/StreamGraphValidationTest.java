package dev.weir.engine.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** validate() rejects an invalid graph before anything runs, and each problem names its task or key. */
class StreamGraphValidationTest {

    private static final BatchFunction PASS = BatchInput::table;

    private static List<String> problems(StreamGraph.Builder builder) {
        return assertThrows(StreamGraphException.class, builder::validate).problems();
    }

    private static void assertProblem(List<String> problems, String... fragments) {
        assertTrue(problems.stream().anyMatch(p -> List.of(fragments).stream().allMatch(p::contains)),
                "expected a problem containing " + List.of(fragments) + " in " + problems);
    }

    @Test
    void aCycleIsRejectedAndNamed() {
        List<String> problems = problems(StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .task("a", PASS, "parse", "b")
                .task("b", PASS, "a"));
        assertProblem(problems, "cycle", "a -> b -> a");
    }

    @Test
    void anInputThatIsNoTaskIsRejected() {
        List<String> problems = problems(StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .task("score", PASS, "prase"));
        assertProblem(problems, "task 'score' has input 'prase'", "neither a task nor the source");
    }

    @Test
    void anEdgeToAnUnknownTaskIsRejected() {
        List<String> problems = problems(StreamGraph.builder().task("parse", PASS).source("parse").edge("parse", "scroe"));
        assertProblem(problems, "there is no task named 'scroe'");
    }

    @Test
    void aTaskTheSourceNeverReachesIsRejected() {
        List<String> problems = problems(StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .task("orphan", PASS));
        assertProblem(problems, "task 'orphan' has no path from the source", "source(\"orphan\")");
    }

    @Test
    void anUnknownConfigKeyIsRejectedWithTheKnownOnes() {
        List<String> problems = problems(StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .configure(ConfigFactory.parseString("tasks.parse.max-rowz = 10\nmax-inflight = 3")));
        assertProblem(problems, "tasks.parse.max-rowz: unknown key", "max-rows");
        assertProblem(problems, "max-inflight: unknown key", "max-in-flight");
    }

    @Test
    void settingsForAnUnknownTaskAreRejected() {
        List<String> problems = problems(StreamGraph.builder().task("parse", PASS).source("parse")
                .set("score", "parallelism", 2));
        assertProblem(problems, "tasks.score", "no task named 'score'");
    }

    @Test
    void nonPositiveNumbersAreRejectedNamingTheKey() {
        List<String> problems = problems(StreamGraph.builder().task("parse", PASS).source("parse")
                .set("parse", "max-rows", 0)
                .set("parse", "parallelism", -1)
                .set("parse", "resources.memory-mb", 0)
                .maxInFlight(0));
        assertProblem(problems, "tasks.parse.max-rows: must be at least 1, was 0");
        assertProblem(problems, "tasks.parse.parallelism: must be at least 1, was -1");
        assertProblem(problems, "tasks.parse.resources.memory-mb: must be a positive number");
        assertProblem(problems, "max-in-flight: must be at least 1, was 0");
    }

    @Test
    void aTaskNeedingMoreThanTheBudgetIsRejected() {
        List<String> problems = problems(StreamGraph.builder().task("parse", PASS).source("parse")
                .budget("memory-mb", 1024).set("parse", "resources.memory-mb", 4096));
        assertProblem(problems, "tasks.parse.resources.memory-mb", "budget.memory-mb of 1024");
    }

    @Test
    void maxRowsOnAMultiInputTaskIsRejected() {
        List<String> problems = problems(StreamGraph.builder()
                .task("a", PASS).task("b", PASS).source("a", "b")
                .task("join", PASS, "a", "b").set("join", "max-rows", 10));
        assertProblem(problems, "tasks.join.max-rows", "several inputs");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        List<String> problems = problems(StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .task("parse", PASS)
                .set("parse", "on-error", "ignore"));
        assertProblem(problems, "task 'parse' is defined twice");
        assertProblem(problems, "tasks.parse.on-error: expected fail or skip, was 'ignore'");
    }

    @Test
    void settingsAreReadFromHocon() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", PASS).source("parse").task("score", PASS, "parse")
                .configure(ConfigFactory.parseString("""
                        max-batches = 50
                        max-in-flight = 3
                        parallelism = 2
                        budget { memory-mb = 2048 }
                        progress-interval = 250ms
                        context { model = "v2" }
                        tasks {
                          parse { max-rows = 300, parallelism = 1, resources { memory-mb = 512 } }
                          score { on-error = skip }
                        }
                        """))
                .build();
        assertEquals(new RunSettings(50, 3, 2, Map.of("memory-mb", 2048.0), Duration.ofMillis(250)), graph.runSettings());
        assertEquals(new TaskSettings(300, 1, Map.of("memory-mb", 512.0), OnError.FAIL), graph.settings("parse"));
        assertEquals(OnError.SKIP, graph.settings("score").onError());
        assertEquals("v2", graph.context().get("model"));
    }

    @Test
    void settingsAreReadFromYaml() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .configureYaml("""
                        max-in-flight: 4
                        tasks:
                          parse:
                            max-rows: 1000
                            on-error: skip
                        """)
                .build();
        assertEquals(4, graph.runSettings().maxInFlight());
        assertEquals(1000, graph.settings("parse").maxRows());
        assertEquals(OnError.SKIP, graph.settings("parse").onError());
    }

    @Test
    void laterSettingsWin() {
        StreamGraph graph = StreamGraph.builder().task("parse", PASS).source("parse")
                .configure(ConfigFactory.parseString("tasks.parse.max-rows = 10"))
                .set("parse", "max-rows", 20)
                .build();
        assertEquals(20, graph.settings("parse").maxRows());
    }

    @Test
    void ranksCountTheDistanceToTheNearestTerminal() {
        StreamGraph graph = StreamGraph.builder()
                .task("parse", PASS).source("parse")
                .task("score", PASS, "parse")
                .task("write", PASS, "score")
                .task("audit", PASS, "parse")
                .build();
        assertEquals(1, graph.rank("parse"));
        assertEquals(1, graph.rank("score"));
        assertEquals(0, graph.rank("write"));
        assertEquals(0, graph.rank("audit"));
    }
}
