package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.RunEvent;
import dev.weir.engine.RunOptions;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs of one DuckDB instance queue instead of failing on DuckDB's file lock: a second process
 * waits, saying so, until the first process has closed the database, then runs; a second engine in
 * the same JVM waits for the instance lock.
 */
class DuckDbRunsQueueTest {

    @TempDir
    Path dir;

    /** A flow whose only task waits, inside the run, until the test lets it go. */
    private static Flow holding(CountDownLatch inside, CountDownLatch release) {
        return Flow.define("holding", f -> f.stage("hold").task("hold").produces(ctx -> {
            inside.countDown();
            if (!release.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the holding task");
            }
            return 1;
        }));
    }

    @Test
    void aSecondProcessWaitsForTheDatabaseThenRuns() throws Exception {
        Path config = CliFixtures.examplesConfigIn(dir);
        InstanceConfig mini = WeirConfig.load(config).instance("mini");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Process child = null;
        StringBuffer output = new StringBuffer();
        BlockingQueue<String> lines;
        try (Weir weir = Weir.start()) {
            CompletableFuture<Result> first = weir.run(holding(inside, release), mini).toCompletableFuture();
            assertTrue(inside.await(60, TimeUnit.SECONDS), "the first run started its task");

            child = CliFixtures.startCli(dir, "run", "lazy-sql", "--instance", "mini", "--config", config.toString());
            lines = CliFixtures.lines(child, output);
            String waiting = CliFixtures.awaitLine(lines, l -> l.startsWith("Waiting"), 90);
            assertNotNull(waiting, "the second process says that it waits; its output:\n" + output);
            assertTrue(waiting.contains("pipeline.duckdb"), waiting);
            assertTrue(child.isAlive(), "the second process is still waiting; its output:\n" + output);

            release.countDown();
            try (Result result = first.get(60, TimeUnit.SECONDS)) {
                assertTrue(result.successful(), result.summary());
            }
        } finally {
            release.countDown();
        }
        // the engine closed: this process let go of the database file
        try {
            assertNotNull(CliFixtures.awaitLine(lines, l -> l.startsWith("OK lazy-sql/mini"), 120),
                    "the second run succeeds once the first process is done; its output:\n" + output);
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the second process ends");
            assertEquals(0, child.exitValue(), "exit code of the second process; its output:\n" + output);
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void aSecondProcessGivesUpAfterTheLockTimeoutSayingWhyOnStderr() throws Exception {
        Path config = CliFixtures.examplesConfigIn(dir);
        java.nio.file.Files.writeString(config, java.nio.file.Files.readString(config)
                .replace("    fail_fast: true\n", "    fail_fast: true\n    lock_timeout: 2s\n"));
        InstanceConfig mini = WeirConfig.load(config).instance("mini");
        assertEquals(java.time.Duration.ofSeconds(2), mini.lockTimeout());
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Weir weir = Weir.start()) {
            CompletableFuture<Result> first = weir.run(holding(inside, release), mini).toCompletableFuture();
            assertTrue(inside.await(60, TimeUnit.SECONDS), "the first run started its task");
            Process child = CliFixtures.startCli(dir, false, "run", "lazy-sql", "--instance", "mini", "--config",
                    config.toString());
            try {
                StringBuffer out = new StringBuffer();
                StringBuffer err = new StringBuffer();
                CliFixtures.lines(child.getInputStream(), out);
                BlockingQueue<String> errors = CliFixtures.lines(child.getErrorStream(), err);
                assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the second process gives up");
                assertEquals(1, child.exitValue(), "stdout:\n" + out + "stderr:\n" + err);
                String reason = CliFixtures.awaitLine(errors, l -> l.startsWith("weir: "), 10);
                assertNotNull(reason, "stderr says why:\n" + err);
                assertTrue(reason.contains("pipeline.duckdb") && reason.contains("lock_timeout"), reason);
                assertTrue(reason.contains("(the DuckDB database is held open by process "
                        + ProcessHandle.current().pid() + " on "), "names the process holding it: " + reason);
            } finally {
                child.destroyForcibly();
                release.countDown();
            }
            try (Result result = first.get(60, TimeUnit.SECONDS)) {
                assertTrue(result.successful(), result.summary());
            }
        } finally {
            release.countDown();
        }
    }

    @Test
    void aReadOnlyReaderInAnotherProcessSeesTheCommittedTablesAndTheNextRunWaitsForIt() throws Exception {
        Path config = CliFixtures.examplesConfigIn(dir);
        WeirConfig weirConfig = WeirConfig.load(config);
        InstanceConfig mini = weirConfig.instance("mini");
        java.io.StringWriter ignored = new java.io.StringWriter();
        assertEquals(0, WeirCommand.execute(new java.io.PrintWriter(ignored), new java.io.PrintWriter(ignored),
                "run", "lazy-sql", "--instance", "mini", "--config", config.toString()), ignored.toString());

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process reader = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                DuckDbReaderProcess.class.getName(), dir.resolve(".weir/pipeline.duckdb").toString(), "mini_")
                .redirectErrorStream(true).start();
        StringBuffer output = new StringBuffer();
        BlockingQueue<String> lines = CliFixtures.lines(reader, output);
        try {
            String tables = CliFixtures.awaitLine(lines, l -> l.startsWith("reader: tables"), 60);
            assertNotNull(tables, "the reader opened the file; its output:\n" + output);
            assertTrue(Long.parseLong(tables.substring("reader: tables ".length())) > 0, tables);

            BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
            try (Weir weir = Weir.start()) {
                ActorRef<RunEvent> listener = weir.system().systemActorOf(Behaviors.receiveMessage(e -> {
                    events.add(e);
                    return Behaviors.same();
                }), "events", org.apache.pekko.actor.typed.Props.empty());
                CompletableFuture<Result> run = weir.run(dev.weir.examples.Examples.named("lazy-sql").orElseThrow()
                        .create(weirConfig, mini), mini, RunOptions.defaults().listener(listener)).toCompletableFuture();
                RunEvent first = events.poll(30, TimeUnit.SECONDS);
                assertTrue(first instanceof RunEvent.Waiting, "the run waits for the reader, got " + first);
                assertTrue(((RunEvent.Waiting) first).message().contains("pipeline.duckdb"), first.toString());
                assertTrue(!run.isDone(), "the run waits while the reader holds the file");

                reader.getOutputStream().write('\n');
                reader.getOutputStream().flush();
                try (Result result = run.get(60, TimeUnit.SECONDS)) {
                    assertTrue(result.successful(), result.summary());
                }
            }
            assertNotNull(CliFixtures.awaitLine(lines, l -> l.equals("reader: closed"), 30), output.toString());
        } finally {
            reader.destroyForcibly();
        }
    }

    @Test
    void aSecondEngineInTheSameJvmWaitsForTheInstanceLock() throws Exception {
        Path config = CliFixtures.examplesConfigIn(dir);
        InstanceConfig mini = WeirConfig.load(config).instance("mini");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BlockingQueue<RunEvent> events = new LinkedBlockingQueue<>();
        try (Weir one = Weir.start(); Weir two = Weir.start()) {
            CompletableFuture<Result> first = one.run(holding(inside, release), mini).toCompletableFuture();
            assertTrue(inside.await(60, TimeUnit.SECONDS), "the first run started its task");
            ActorRef<RunEvent> listener = two.system().systemActorOf(Behaviors.receiveMessage(e -> {
                events.add(e);
                return Behaviors.same();
            }), "events", org.apache.pekko.actor.typed.Props.empty());
            CompletableFuture<Result> second = two.run(holding(new CountDownLatch(1), new CountDownLatch(0)), mini,
                    RunOptions.defaults().listener(listener)).toCompletableFuture();
            RunEvent event = events.poll(30, TimeUnit.SECONDS);
            assertTrue(event instanceof RunEvent.Waiting, "the second run waits first, got " + event);
            assertTrue(((RunEvent.Waiting) event).message().contains("instance:mini"), event.toString());
            assertTrue(!second.isDone(), "the second run waits while the first holds the instance");

            release.countDown();
            try (Result a = first.get(60, TimeUnit.SECONDS); Result b = second.get(60, TimeUnit.SECONDS)) {
                assertTrue(a.successful(), a.summary());
                assertTrue(b.successful(), b.summary());
            }
        } finally {
            release.countDown();
        }
    }
}
