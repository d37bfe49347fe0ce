package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.RunEvent;
import dev.weir.engine.TaskResult;
import dev.weir.engine.TaskState;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** What {@code weir run} shows as a run goes: lines when redirected, a bar on a terminal. */
class RunProgressTest {

    private static final String RUN = "20260101-000000-abcd1234";

    /** A batched run: a cached task, a completed one, a batched one in three chunks, a failed one. */
    private static List<RunEvent> batchedRun() {
        return List.of(
                new RunEvent.RunStarted(RUN, "sales", "mini", 4, 3, 1, 0),
                new RunEvent.TaskFinished(RUN, new TaskResult("raw", "load", TaskState.CACHE_VALID, null, 0, 10, 1, null)),
                new RunEvent.TaskStarted(RUN, "raw", "orders", 1),
                new RunEvent.TaskFinished(RUN, new TaskResult("raw", "orders", TaskState.COMPLETED, "no-cache-entry",
                        1.5, 3000, 1, null)),
                new RunEvent.StageCommitted(RUN, "raw"),
                new RunEvent.TaskStarted(RUN, "scored", "score", 1),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 1, 3, 1000, 0.5),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 2, 3, 2000, 1.0),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 3, 3, 3000, 1.5),
                new RunEvent.TaskFinished(RUN, new TaskResult("scored", "score", TaskState.COMPLETED, "no-cache-entry",
                        1.6, 3000, 1, null)),
                new RunEvent.TaskStarted(RUN, "scored", "report", 1),
                new RunEvent.TaskFinished(RUN, new TaskResult("scored", "report", TaskState.FAILED, "no-cache-entry",
                        0.25, -1, 1, "boom: password=hunter2")),
                new RunEvent.StageAborted(RUN, "scored", "task report failed"),
                new RunEvent.RunFinished(RUN, false, "FAILED sales/mini"));
    }

    private static final UnaryOperator<String> MASK = s -> s.replace("hunter2", "***");

    @Test
    void redirectedOutputHasOneLinePerTaskAsBefore() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLines lines = new ProgressLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK);

        batchedRun().forEach(lines);

        assertTrue(lines.awaitEnd(Duration.ZERO));
        assertEquals("""
                Run 20260101-000000-abcd1234 of sales on mini: 4 tasks, 3 to run, 1 cached
                  [2/4] COMPLETED   raw/orders  1.50s, 3000 rows  (no-cache-entry)
                  committed stage raw
                      chunk 1/3 of scored/score  1,000 rows, 2,000 rows/s
                      chunk 2/3 of scored/score  2,000 rows, 2,000 rows/s
                      chunk 3/3 of scored/score  3,000 rows, 2,000 rows/s
                  [3/4] COMPLETED   scored/score  1.60s, 3000 rows  (no-cache-entry)
                  [4/4] FAILED      scored/report  0.25s  (no-cache-entry)
                      boom: password=***
                  aborted stage scored (task report failed); its last commit stays readable
                  1 task in unchanged stages: cache valid
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aTaskResumedFromAFailedAttemptIsListedWithItsReasonNotCountedAsUnchanged() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLines lines = new ProgressLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK);

        java.util.stream.Stream.of(new RunEvent.RunStarted(RUN, "sales", "mini", 3, 0, 3, 0),
                new RunEvent.TaskFinished(RUN, new TaskResult("raw", "orders", TaskState.CACHE_VALID, "cache-valid",
                        0, 3000, 0, null)),
                new RunEvent.TaskFinished(RUN, new TaskResult("scored", "score", TaskState.CACHE_VALID, "resumed",
                        0, 3000, 0, null)),
                new RunEvent.TaskFinished(RUN, new TaskResult("scored", "other", TaskState.CACHE_VALID, "cache-valid",
                        0, 1, 0, null)),
                new RunEvent.StageCommitted(RUN, "scored"),
                new RunEvent.RunFinished(RUN, true, "OK sales/mini")).forEach(lines);

        assertTrue(lines.awaitEnd(Duration.ZERO));
        assertEquals("""
                Run 20260101-000000-abcd1234 of sales on mini: 3 tasks, 0 to run, 3 cached
                  [2/3] CACHE_VALID scored/score, 3000 rows  (resumed)
                  committed stage scored
                  2 tasks in unchanged stages: cache valid
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void onATerminalOneBarShowsTasksDoneAndTheBatchedTasksChunksAndRowsPerSecond() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBarView view = ProgressBarView.forTest(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK, 100);
        List<RunEvent> events = batchedRun();
        int chunk2 = 7;

        events.subList(0, chunk2 + 1).forEach(view);
        String midway = lastFrame(bytes);
        events.subList(chunk2 + 1, events.size()).forEach(view);

        assertTrue(view.awaitEnd(Duration.ZERO));
        assertTrue(midway.startsWith("sales/mini"), midway);
        assertTrue(midway.contains(" 2/4 "), "tasks done of total: " + midway);
        assertTrue(midway.contains("scored/score chunks 2/3, 2,000 rows/s"), midway);
        String output = bytes.toString(StandardCharsets.UTF_8);
        String end = lastFrame(bytes);
        assertTrue(end.contains("100%") && end.contains(" 4/4"), end);
        assertFalse(end.contains("chunks"), "nothing runs at the end: " + end);
        assertTrue(output.endsWith("\n"), "the bar's line ends, so the summary starts on its own line");
        // split on newlines only: String.lines() would split the frames at their carriage returns too
        List<String> kept = java.util.Arrays.stream(output.split("\n")).map(RunProgressTest::visible).filter(l -> !l.startsWith("sales/mini"))
                .toList();
        assertEquals(List.of("  FAILED      scored/report  0.25s  (no-cache-entry)", "      boom: password=***",
                "  aborted stage scored (task report failed); its last commit stays readable"), kept,
                "failures stay above the bar; completed tasks are counted by the bar only");
    }

    @Test
    void anInterruptedListenerThreadStillEndsTheBarWithItsLastFrameAndKeepsItsInterrupt() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Thread listener = Thread.currentThread();
        // the library's own thread writes slowly, as on a busy machine
        java.io.OutputStream slowFromOtherThreads = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (Thread.currentThread() != listener) {
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                synchronized (bytes) {
                    bytes.write(b, off, len);
                }
            }
        };
        ProgressBarView view = ProgressBarView.forTest(new PrintStream(slowFromOtherThreads, true,
                StandardCharsets.UTF_8), MASK, 100);
        List<RunEvent> events = batchedRun();
        events.subList(0, events.size() - 1).forEach(view);
        Thread.currentThread().interrupt(); // e.g. a cancelled run: the library's close would give up at once
        try {
            view.accept(events.get(events.size() - 1));
            assertTrue(Thread.currentThread().isInterrupted(), "the thread's interrupt is kept for its owner");
        } finally {
            Thread.interrupted();
        }
        String output;
        String end;
        synchronized (bytes) {
            output = bytes.toString(StandardCharsets.UTF_8);
            end = lastFrame(bytes);
        }
        assertTrue(end.contains("100%") && end.contains(" 4/4"), "the last frame is drawn: " + end);
        assertTrue(output.endsWith("\n"), "the bar's line ends before the summary: " + output);
    }

    @Test
    void aFrameTheLibraryDrawsAfterTheBarEndedIsDropped() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBarView.TerminalLine line = new ProgressBarView.TerminalLine(
                new PrintStream(bytes, true, StandardCharsets.UTF_8), 80);
        line.accept("sales/mini 50% 2/4");
        line.close();
        line.accept("sales/mini 50% 2/4"); // a periodic refresh that was under way when the bar closed
        line.above("  aborted stage scored");

        String output = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(output.endsWith("  aborted stage scored" + System.lineSeparator()), output);
        assertEquals(1, output.split("2/4", -1).length - 1, "one frame, before the end: " + output);
    }

    /** A batched task of four chunks on a cluster: one on the coordinator, three on two workers. */
    private static List<RunEvent> clusterRun() {
        String one = "pekko://weir@10.0.0.5:25521";
        String two = "pekko://weir@10.0.0.6:25521";
        return List.of(
                new RunEvent.RunStarted(RUN, "sales", "mini", 1, 1, 0, 0),
                new RunEvent.TaskStarted(RUN, "scored", "score", 1),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 1, 4, 1000, 0.5, one),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 2, 4, 2000, 1.0, null),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 3, 4, 3000, 1.5, one),
                new RunEvent.ChunkFinished(RUN, "scored", "score", 4, 4, 4000, 2.0, two),
                new RunEvent.TaskFinished(RUN, new TaskResult("scored", "score", TaskState.COMPLETED, "no-cache-entry",
                        2.0, 4000, 1, null)),
                new RunEvent.RunFinished(RUN, true, "SUCCESS sales/mini"));
    }

    @Test
    void redirectedOutputSaysHowManyChunksRanOnWhichNode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLines lines = new ProgressLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK);

        clusterRun().forEach(lines);

        assertEquals("""
                Run 20260101-000000-abcd1234 of sales on mini: 1 tasks, 1 to run, 0 cached
                      chunk 1/4 of scored/score  1,000 rows, 2,000 rows/s  (10.0.0.5:25521 1)
                      chunk 2/4 of scored/score  2,000 rows, 2,000 rows/s  (coordinator 1, 10.0.0.5:25521 1)
                      chunk 3/4 of scored/score  3,000 rows, 2,000 rows/s  (coordinator 1, 10.0.0.5:25521 2)
                      chunk 4/4 of scored/score  4,000 rows, 2,000 rows/s  (coordinator 1, 10.0.0.5:25521 2, 10.0.0.6:25521 1)
                  [1/1] COMPLETED   scored/score  chunks (coordinator 1, 10.0.0.5:25521 2, 10.0.0.6:25521 1)  2.00s, 4000 rows  (no-cache-entry)
                """, bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void onATerminalTheBarSaysHowManyChunksRanOnWhichNode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBarView view = ProgressBarView.forTest(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK, 160);
        List<RunEvent> events = clusterRun();

        events.subList(0, 5).forEach(view); // three chunks done

        assertTrue(lastFrame(bytes).contains("scored/score chunks 3/4 (coordinator 1, 10.0.0.5:25521 2),"
                + " 2,000 rows/s"), lastFrame(bytes));
        events.subList(5, events.size()).forEach(view);
        assertFalse(lastFrame(bytes).contains("chunks"), "nothing runs at the end: " + lastFrame(bytes));
    }

    @Test
    void aRunWithoutWorkersNamesNoNode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressLines lines = new ProgressLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), MASK);

        batchedRun().forEach(lines);

        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("coordinator"), bytes::toString);
    }

    @Test
    void aBarOnlyOnATerminalWithoutOptOut() {
        assertTrue(RunProgress.useBar(true, Map.of("TERM", "xterm-256color"), false));
        assertFalse(RunProgress.useBar(false, Map.of("TERM", "xterm-256color"), false), "redirected");
        assertFalse(RunProgress.useBar(true, Map.of(), true), "--no-progress");
        assertFalse(RunProgress.useBar(true, Map.of("TERM", "dumb"), false));
        assertFalse(RunProgress.useBar(true, Map.of("WEIR_NO_PROGRESS", "1"), false));
        assertFalse(RunProgress.useBar(true, Map.of("CI", "true"), false));
        assertFalse(RunProgress.isTerminal(null), "no console: output or input redirected");
    }

    /** The last frame the bar drew: the text after the last carriage return, without control sequences. */
    private static String lastFrame(ByteArrayOutputStream bytes) {
        String text = bytes.toString(StandardCharsets.UTF_8);
        String last = text.substring(text.lastIndexOf('\r') + 1);
        return visible(last).strip();
    }

    /** A frame or line as the terminal shows it: the last frame after a carriage return, escapes removed. */
    private static String visible(String line) {
        return line.substring(line.lastIndexOf('\r') + 1).replaceAll("\u001b\\[[0-9;]*[A-Za-z]", "");
    }
}
