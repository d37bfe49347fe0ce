package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.Result;
import dev.weir.engine.Table;
import dev.weir.engine.Weir;
import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.data.Rows;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weir clear}: drops an instance's (or a stage's) schemas, metadata, runs and local files, only with
 * {@code --yes}, under the instance lock, and never another instance's data. On the examples' configuration,
 * where every instance shares one DuckDB file, told apart by schema prefix.
 */
class ClearCommandTest {

    @TempDir
    Path dir;

    private record Outcome(int code, String out, String err) {
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** {@code text} as the command line prints it: with the secrets of the environment (PGPASSWORD) masked. */
    private static String masked(String config, String text) {
        WeirConfig weirConfig = WeirConfig.load(Path.of(config));
        return weirConfig.masking(weirConfig.instance("mini")).apply(text);
    }

    private Outcome run(String config, String instance) {
        Outcome run = weir("run", "lazy-sql", "--instance", instance, "--config", config);
        assertEquals(0, run.code(), run.err() + run.out());
        return run;
    }

    @Test
    void withoutYesItSaysWhatItWouldDropChangesNothingAndExitsTwo() throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        run(config, "mini");
        Files.createDirectories(dir.resolve(".weir/mini/table-cache/raw"));

        Outcome dry = weir("clear", "--instance", "mini", "--config", config);

        assertEquals(2, dry.code(), dry.out() + dry.err());
        assertTrue(dry.err().contains("nothing was changed; add --yes"), dry.err());
        assertTrue(dry.out().startsWith("Would drop, from instance 'mini' (duckdb store 'duckdb'):\n"), dry.out());
        assertTrue(dry.out().matches("(?s).*\nstage raw: schemas mini_raw \\(3 tables\\), mini_raw__\\w+ \\(3 tables\\);"
                + " 3 metadata rows \\(2 cache entries, its commit record\\)\n.*"), dry.out());
        assertTrue(dry.out().contains("\nstage report: schemas mini_report (2 tables)"), dry.out());
        assertTrue(dry.out().contains("\nrecorded runs: 1\n"), dry.out());
        assertTrue(dry.out().contains(masked(config, "\ndirectory " + dir.resolve(".weir/mini") + "\n")), dry.out());
        assertFalse(dry.out().contains("pipeline.duckdb"), "the shared database file is outside mini's work_dir: "
                + dry.out());

        assertTrue(Files.isDirectory(dir.resolve(".weir/mini/table-cache/raw")), "no file was deleted");
        assertTrue(run(config, "mini").out().contains("OK lazy-sql/mini: 0 ran, 4 cache hits"), "nothing was dropped");
    }

    @Test
    void clearingAnInstanceLeavesAnotherAllCacheHitsAndItsNextRunRunsEverything() throws Exception {
        String config = CliFixtures.examplesConfigIn(dir).toString();
        run(config, "mini");
        run(config, "midi");
        Path miniFiles = Files.createDirectories(dir.resolve(".weir/mini/table-cache/raw/orders"));
        Files.writeString(miniFiles.resolve("chunk"), "cached");
        Path miniBlobs = Files.createDirectories(dir.resolve(".weir/blobs/mini/raw"));
        Path midiFiles = Files.createDirectories(dir.resolve(".weir/midi/table-cache/raw"));

        Outcome clear = weir("clear", "--instance", "mini", "--config", config, "--yes");

        assertEquals(0, clear.code(), clear.out() + clear.err());
        assertTrue(clear.out().startsWith("Dropping, from instance 'mini' (duckdb store 'duckdb'):\n"), clear.out());
        assertTrue(clear.out().contains("OK cleared instance 'mini': 2 stages, "), clear.out());
        assertFalse(Files.exists(dir.resolve(".weir/mini/table-cache")), "mini's chunk cache is gone");
        assertFalse(Files.exists(miniBlobs), "mini's blobs are gone");
        assertTrue(Files.isDirectory(midiFiles), "midi's local files stay");
        assertTrue(Files.exists(dir.resolve(".weir/pipeline.duckdb")), "the shared database stays");

        Outcome status = weir("status", "lazy-sql", "--instance", "mini", "--config", config);
        assertTrue(status.out().contains("stage raw: not committed\n") && status.out().contains("no runs recorded"),
                status.out());
        assertTrue(run(config, "midi").out().contains("OK lazy-sql/midi: 0 ran, 4 cache hits"),
                "the other instance keeps its cache");
        assertTrue(run(config, "mini").out().contains("OK lazy-sql/mini: 4 ran, 0 cache hits"),
                "the cleared instance runs everything");

        Outcome again = weir("clear", "--instance", "midi", "--config", config, "--yes");
        assertEquals(0, again.code(), again.err());
        Outcome nothing = weir("clear", "--instance", "midi", "--config", config);
        assertEquals(0, nothing.code(), nothing.out() + nothing.err());
        assertTrue(nothing.out().startsWith("Nothing to clear: instance 'midi'"), nothing.out());
    }

    @Test
    void aClearWhileAnotherProcessRunsTheFlowFailsNamingThatProcess() throws Exception {
        Path configFile = CliFixtures.examplesConfigIn(dir);
        Files.writeString(configFile, Files.readString(configFile)
                .replace("    fail_fast: true\n", "    fail_fast: true\n    lock_timeout: 2s\n"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path output = dir.resolve("run.out");
        Process run = new ProcessBuilder(java, "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dweir.test.hang=true",
                "-cp", System.getProperty("java.class.path"), WeirCommand.class.getName(), "run", HangingFlow.NAME,
                "--instance", "mini", "--config", configFile.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(Files.exists(output) && Files.readString(output).contains("HANGING"))) {
                assertTrue(run.isAlive() && System.nanoTime() < deadline, "the run did not start its task: "
                        + (Files.exists(output) ? Files.readString(output) : ""));
                Thread.sleep(50);
            }
            Outcome clear = weir("clear", "--instance", "mini", "--config", configFile.toString(), "--yes");
            assertEquals(1, clear.code(), clear.out() + clear.err());
            assertTrue(clear.err().contains("weir: cannot clear instance 'mini' while a run holds its lock:")
                    && clear.err().contains("(held by process " + run.pid() + " on "), clear.err());
            assertTrue(run.isAlive(), "the run goes on");
        } finally {
            run.destroyForcibly();
            run.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDatabaseFileInTheWorkDirIsKeptWithItsLockFilesAndEmptied() throws Exception {
        Path configFile = CliFixtures.examplesConfigIn(dir);
        Files.writeString(configFile, Files.readString(configFile).replace("path: \"../pipeline.duckdb\"",
                "path: \"own.duckdb\""));
        String config = configFile.toString();
        run(config, "mini");
        Path database = dir.resolve(".weir/mini/own.duckdb");
        assertTrue(Files.exists(database), "the instance's database lives in its work_dir");
        Path cached = Files.createDirectories(dir.resolve(".weir/mini/table-cache/raw"));

        Outcome dry = weir("clear", "--instance", "mini", "--config", config);
        assertTrue(dry.out().contains(masked(config, "\nkept: file " + database + " (the table store uses it)\n")),
                dry.out());

        Outcome clear = weir("clear", "--instance", "mini", "--config", config, "--yes");
        assertEquals(0, clear.code(), clear.out() + clear.err());
        assertTrue(Files.exists(database), "the open database file stays");
        assertFalse(Files.exists(cached), "the rest of the work_dir is gone");
        assertTrue(run(config, "mini").out().contains("OK lazy-sql/mini: 4 ran, 0 cache hits"),
                "the database was emptied of the instance's stages");
    }

    @Test
    void clearingAStageDropsOnlyThatStage() throws Exception {
        Path configFile = CliFixtures.examplesConfigIn(dir);
        Files.writeString(configFile, Files.readString(configFile).replace("      table_store_connection: duckdb\n",
                "      table_store_connection: duckdb\n      local_table_cache:\n        store_input: true\n"));
        String config = configFile.toString();
        Path tableCache = WeirConfig.load(configFile).instance("mini").localTableCache().basePath();
        run(config, "mini");
        Path reportCache = Files.createDirectories(dir.resolve(".weir/mini/table-cache/report"));
        Path rawCache = Files.createDirectories(dir.resolve(".weir/mini/table-cache/raw"));
        Path reportTables = Files.createDirectories(tableCache.resolve("report/valid_orders"));
        Path rawTables = Files.createDirectories(tableCache.resolve("raw/orders"));

        Outcome dry = weir("clear", "--instance", "mini", "--stage", "report", "--config", config);
        assertEquals(2, dry.code(), dry.out() + dry.err());
        assertTrue(dry.out().startsWith("Would drop, from stage 'report' of instance 'mini'"), dry.out());
        assertFalse(dry.out().contains("stage raw"), dry.out());
        assertFalse(dry.out().contains("recorded runs"), "a stage's clear keeps the runs: " + dry.out());

        Outcome unknown = weir("clear", "--instance", "mini", "--stage", "no_such_stage", "--config", config);
        assertEquals(0, unknown.code(), unknown.err());
        assertTrue(unknown.out().contains("Nothing to clear: stage 'no_such_stage' of instance 'mini'")
                && unknown.out().contains("The instance's stages are [raw, report]."), unknown.out());

        Outcome clear = weir("clear", "--instance", "mini", "--stage", "report", "--config", config, "--yes");
        assertEquals(0, clear.code(), clear.out() + clear.err());
        assertFalse(Files.exists(reportCache), "the stage's chunk cache is gone");
        assertFalse(Files.exists(reportTables), "the stage's local table cache is gone");
        assertTrue(Files.isDirectory(rawCache));
        assertTrue(Files.isDirectory(rawTables));
        assertTrue(run(config, "mini").out().contains("OK lazy-sql/mini: 2 ran, 2 cache hits"),
                "the stage's two tasks run again, raw's are cache hits");
    }

    @Test
    void aClearWaitsForTheInstanceLockAndGivesUpAfterLockTimeoutChangingNothing() throws Exception {
        Path configFile = CliFixtures.examplesConfigIn(dir);
        Files.writeString(configFile, Files.readString(configFile)
                .replace("    fail_fast: true\n", "    fail_fast: true\n    lock_timeout: 2s\n"));
        String config = configFile.toString();
        run(config, "mini");
        InstanceConfig mini = WeirConfig.load(configFile).instance("mini");
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Flow holding = Flow.define("holding", f -> f.stage("holding").task("hold").produces(ctx -> {
            inside.countDown();
            if (!release.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never released the holding task");
            }
            return Table.of(Rows.builder("v").add(1L).build());
        }));
        try (Weir weir = Weir.start()) {
            CompletableFuture<Result> first = weir.run(holding, mini).toCompletableFuture();
            try {
                assertTrue(inside.await(60, TimeUnit.SECONDS), "the run started its task");
                long start = System.nanoTime();
                Outcome clear = weir("clear", "--instance", "mini", "--config", config, "--yes");
                long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertEquals(1, clear.code(), clear.out() + clear.err());
                assertTrue(waitedMillis >= 1_900, "it waited for lock_timeout: " + waitedMillis + " ms");
                assertTrue(clear.err().contains("weir: cannot clear instance 'mini' while a run holds its lock:")
                        && clear.err().contains("instance:mini") && clear.err().contains("a run in this JVM (held by"
                        + " process " + ProcessHandle.current().pid() + " on ")
                        && clear.err().contains("lock_timeout 2 s"), clear.err());
            } finally {
                release.countDown();
            }
            try (Result result = first.get(60, TimeUnit.SECONDS)) {
                assertTrue(result.successful(), result.summary());
            }
        }
        assertTrue(run(config, "mini").out().contains("OK lazy-sql/mini: 0 ran, 4 cache hits"),
                "the clear dropped nothing");
    }
}
