package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weir.engine.report.NodeState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code --report-html} page opened in a real headless Chromium, offline: the graph renders, every
 * task's node is there with its state's class and colour, and a screenshot is written to
 * {@code target/report-html-screenshot.png} for a person to look at. Without Chromium the test is skipped
 * saying why, except under {@code CI=true}, where {@code .ci/run} installs it and the test must run.
 */
class ReportInBrowserTest {

    /** How long Chromium may take to open, render and dump or photograph the page. */
    private static final long BROWSER_TIMEOUT_SECONDS = 180;
    /** Virtual time the page gets to run its scripts (Mermaid renders asynchronously). */
    private static final int VIRTUAL_TIME_MS = 20_000;
    private static final Pattern NODE = Pattern.compile("<g class=\"node default ?([a-z_]*)\" id=\"[^\"]*flowchart-t\\d+-\\d+\""
            + "[^>]*>.*?<rect class=\"basic label-container\" style=\"([^\"]*)\"", Pattern.DOTALL);
    private static final Pattern NODE_TASK = Pattern.compile("data-task=\"([^\"]*)\"");

    private static Path chromium;

    @BeforeAll
    static void findChromium() {
        chromium = Stream.of(System.getenv("WEIR_CHROMIUM"), "chromium", "chromium-browser", "google-chrome")
                .filter(c -> c != null && !c.isBlank()).map(ReportInBrowserTest::onPath).filter(p -> p != null)
                .findFirst().orElse(null);
        if (chromium == null) {
            String why = "no Chromium (chromium, chromium-browser or google-chrome on the PATH, or WEIR_CHROMIUM):"
                    + " `apt-get install -y chromium` (.ci/run does)";
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and " + why);
            }
            System.out.println("ReportInBrowserTest skipped: " + why);
            Assumptions.abort(why);
        }
    }

    private static Path onPath(String command) {
        if (command.contains("/")) {
            Path p = Path.of(command);
            return Files.isExecutable(p) ? p : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    @Test
    void theRunReportRendersEveryTaskWithItsStateOffline(@TempDir Path dir) throws Exception {
        String written = ReportHtmlCommandTest.secondRunsPage(dir, "duckdb");
        Path page = dir.resolve("report/run.html");
        assertTrue(written.length() > 1_000_000, "the page carries Mermaid");

        String dom = chromium(dir, "--dump-dom", page.toUri().toString());
        assertTrue(dom.contains("data-graph=\"rendered\""), "the page's script drew the graph: "
                + excerpt(dom, "id=\"graph\""));
        assertTrue(dom.contains("<svg") && dom.contains("id=\"weir-graph-svg\""), "Mermaid's svg is in the page");

        Map<String, String> states = new HashMap<>(ReportHtmlCommandTest.EXPECTED_STATES);
        Map<String, String[]> nodes = nodes(dom);
        assertEquals(6, nodes.size(), "a node per task: " + nodes.keySet());
        String split = nodes.get("report_work/split")[0];
        assertTrue(split.equals("completed") || split.equals("cache_valid"), split);
        states.put("report_work/split", split);
        states.forEach((task, state) -> {
            String[] node = nodes.get(task);
            assertTrue(node != null, "the node of " + task + " is drawn: " + nodes.keySet());
            assertEquals(state, node[0], task + "'s class");
            NodeState colours = NodeState.valueOf(state.toUpperCase(Locale.ROOT));
            assertTrue(node[1].contains("fill:" + colours.fill()) && node[1].contains("stroke:" + colours.stroke()),
                    task + " is drawn in its state's colours: " + node[1]);
        });
        // the hostile name is text in its node's label, and no script of it runs
        assertTrue(dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt; \"] it's #1 | `a` &amp; b"),
                excerpt(dom, "report_raw/&lt;script"));
        assertFalse(dom.contains("<script>alert"), "no script element from a task name");
        // the timeline (inline SVG) has a bar for the failed task
        assertTrue(dom.matches("(?s).*<g class=\"row\" data-task=\"report_work/explode\">.*?class=\"bar state-failed\".*"),
                excerpt(dom, "class=\"timeline\""));

        Path screenshot = Path.of("target", "report-html-screenshot.png").toAbsolutePath();
        Files.createDirectories(screenshot.getParent());
        Files.deleteIfExists(screenshot);
        chromium(dir, "--screenshot=" + screenshot, "--window-size=1400,1800", page.toUri().toString());
        assertTrue(Files.size(screenshot) > 10_000, "a screenshot of the page: " + screenshot);
        System.out.println("ReportInBrowserTest: screenshot of the run report in " + screenshot);
    }

    @Test
    void theGraphPageRendersOffline(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("graph.html");
        java.io.StringWriter err = new java.io.StringWriter();
        int code = WeirCommand.execute(new java.io.PrintWriter(new java.io.StringWriter(), true),
                new java.io.PrintWriter(err, true), "graph", "batched", "--format", "html", "--output", page.toString());
        assertEquals(0, code, err.toString());
        String dom = chromium(dir, "--dump-dom", page.toUri().toString());
        assertTrue(dom.contains("data-graph=\"rendered\""), excerpt(dom, "id=\"graph\""));
        assertEquals(List.of("raw/orders", "scored/score"), List.copyOf(new java.util.TreeSet<>(nodes(dom).keySet())));
    }

    @Test
    void aFlowWithMoreEdgesThanMermaidsDefaultLimitIsDrawnWhole(@TempDir Path dir) throws Exception {
        // 100 tasks, each reading the six before it: 585 arrows, more than Mermaid's default of 500
        dev.weir.engine.Flow flow = dev.weir.engine.Flow.define("wide", f -> {
            List<dev.weir.engine.Ref> refs = new ArrayList<>();
            for (int s = 0; s < 4; s++) {
                dev.weir.engine.Stage stage = f.stage("stage_" + s);
                for (int t = 0; t < 25; t++) {
                    var task = stage.task("task_" + s + "_" + t).version("1");
                    for (int back = 1; back <= 6 && back <= refs.size(); back++) {
                        task = task.input("in" + back, refs.get(refs.size() - back), dev.weir.engine.data.Rows.class);
                    }
                    refs.add(task.produces(ctx -> dev.weir.engine.Table.of(
                            dev.weir.engine.data.Rows.builder("x").add(1L).build())).ref());
                }
            }
        });
        Path page = dir.resolve("wide.html");
        Files.writeString(page, dev.weir.engine.report.HtmlReport.graph(flow));
        String dom = chromium(dir, "--dump-dom", page.toUri().toString());
        assertTrue(dom.contains("data-graph=\"rendered\""), excerpt(dom, "id=\"graph\""));
        assertEquals(100, nodes(dom).size(), excerpt(dom, "id=\"graph\""));
    }

    /** Each drawn task node by its task: its state class and its shape's style. */
    private static Map<String, String[]> nodes(String dom) {
        Map<String, String[]> nodes = new HashMap<>();
        Matcher m = NODE.matcher(dom);
        while (m.find()) {
            Matcher task = NODE_TASK.matcher(m.group());
            assertTrue(task.find(), "the page's script named the node's task: " + m.group());
            nodes.put(unescape(task.group(1)), new String[] {m.group(1), m.group(2)});
        }
        return nodes;
    }

    private static String unescape(String attribute) {
        return attribute.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
                .replace("&amp;", "&");
    }

    /**
     * Runs headless Chromium on {@code args}, returning what it printed on stdout. Every host name resolves
     * to nothing, so a page that needed anything from the network would not render.
     */
    private static String chromium(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-dev-shm-usage",
                "--user-data-dir=" + dir.resolve("chromium-profile"), "--host-resolver-rules=MAP * ~NOTFOUND",
                "--virtual-time-budget=" + VIRTUAL_TIME_MS));
        if (isRoot()) {
            // Chromium refuses to start as root with its sandbox (it needs an unprivileged user namespace);
            // CI runs as root in a throw-away machine, and the page is our own, so we drop the sandbox there only.
            command.add("--no-sandbox");
        }
        command.addAll(List.of(args));
        Path stderr = dir.resolve("chromium-stderr.txt");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        process.getOutputStream().close();
        byte[] out;
        try (var in = process.getInputStream()) {
            // read on a thread of its own so the bound below holds even when Chromium hangs without output
            var reading = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return in.readAllBytes();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            if (!process.waitFor(BROWSER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("Chromium did not finish within " + BROWSER_TIMEOUT_SECONDS + " s: " + command);
            }
            out = reading.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("reading Chromium's output failed", e);
        }
        assertEquals(0, process.exitValue(), "Chromium failed: " + command + "\n" + Files.readString(stderr));
        return new String(out, StandardCharsets.UTF_8);
    }

    private static boolean isRoot() {
        return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    }

    private static String excerpt(String text, String near) {
        int at = Math.max(0, text.indexOf(near));
        return text.substring(at, Math.min(text.length(), at + 1500));
    }
}
