package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why a run failed is on stderr, with exit code 1, whatever failed: the store, its url, port or kind,
 * an --only naming nothing, the configuration. A wrong command line exits with 2, before anything
 * runs. No password reaches the console or the report.
 */
class WeirCommandErrorsTest {

    private static final String PASSWORD = "S3cret-Pw-4711";

    @TempDir
    Path dir;

    private record Outcome(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Outcome weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    /** The examples' configuration in {@code dir}, its postgres connection given {@code args}, instances on it. */
    private Path postgresConfig(String args) throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        String text = Files.readString(config);
        String anchor = "  postgres:\n    kind: postgres\n    args:\n";
        assertTrue(text.contains(anchor), "the examples' configuration has a postgres connection");
        Files.writeString(config, text.replace(anchor, anchor + args)
                .replace("table_store_connection: duckdb", "table_store_connection: postgres"));
        return config;
    }

    private Outcome run(Path config, String... more) {
        java.util.List<String> args = new java.util.ArrayList<>(
                java.util.List.of("run", "lazy-sql", "--instance", "mini", "--config", config.toString()));
        args.addAll(java.util.List.of(more));
        return weir(args.toArray(String[]::new));
    }

    private static void assertFailedSaying(Outcome o, String... phrases) {
        assertEquals(1, o.code(), "exit code; stderr:\n" + o.err());
        assertTrue(o.out().contains("FAILED lazy-sql/mini"), o.out());
        assertTrue(o.err().startsWith("weir: "), o.err());
        for (String phrase : phrases) {
            assertTrue(o.err().contains(phrase), "stderr names '" + phrase + "':\n" + o.err());
        }
    }

    @Test
    void anUnreachableStoreIsNamedOnStderrWithoutItsPassword() throws IOException {
        Path report = dir.resolve("report.json");
        Outcome o = run(postgresConfig("      url: \"postgresql://loader:" + PASSWORD + "@localhost:1/shop\"\n"),
                "--report", report.toString());
        assertFailedSaying(o, "cannot connect to PostgreSQL at localhost:1");
        assertFalse(o.all().contains(PASSWORD), o.all());
        assertFalse(Files.readString(report).contains(PASSWORD), Files.readString(report));
    }

    @Test
    void aBadStoreUrlIsNamedOnStderrWithItsPasswordMasked() throws IOException {
        Outcome o = run(postgresConfig("      url: \"mysql://loader:" + PASSWORD + "@localhost:5432/shop\"\n"));
        assertFailedSaying(o, "mysql://loader:***@localhost:5432/shop", "scheme must be postgresql");
        assertFalse(o.all().contains(PASSWORD), o.all());
    }

    @Test
    void aBadPortIsNamedOnStderr() throws IOException {
        Outcome o = run(postgresConfig("      url: \"postgresql://loader:" + PASSWORD + "@localhost:notaport/shop\"\n"));
        assertFailedSaying(o, "key 'url'", "localhost:notaport");
        assertFalse(o.all().contains(PASSWORD), o.all());
    }

    @Test
    void aBadPortKeyIsNamedOnStderr() throws IOException {
        Outcome o = run(postgresConfig("      host: localhost\n      port: 70000\n      password: " + PASSWORD + "\n"));
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().startsWith("weir: ") && o.err().contains("port"), o.err());
        assertFalse(o.all().contains(PASSWORD), o.all());
    }

    @Test
    void anUnknownStoreKindIsNamedOnStderr() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Files.writeString(config, Files.readString(config).replace("kind: duckdb", "kind: nosuch"));
        assertFailedSaying(run(config), "no table store of kind 'nosuch'", "the known kinds are");
    }

    @Test
    void onlyNamingNothingIsNamedOnStderr() throws IOException {
        Outcome o = run(CliFixtures.examplesConfigIn(dir), "--only", "no_such_stage");
        assertFailedSaying(o, "nothing named 'no_such_stage'", "raw");
    }

    @Test
    void aBrokenConfigurationExitsWithOneNamingTheKey() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Files.writeString(config, Files.readString(config).replace("max_parallelism: 4", "max_parallelism: many"));
        Outcome o = run(config);
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains("max_parallelism") && o.err().contains("many"), o.err());
    }

    @Test
    void aFileThatCannotBeCreatedIsNamedWithTheReason() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Path blocked = dir.resolve("blocked");
        Files.writeString(blocked, "a file where the database's directory should be");
        String text = Files.readString(config);
        assertTrue(text.contains("path: \"../pipeline.duckdb\""), "the examples' configuration names its database");
        Files.writeString(config, text.replace("path: \"../pipeline.duckdb\"",
                "path: \"" + blocked.resolve("pipeline.duckdb") + "\""));
        Outcome o = run(config);
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().contains(blocked.resolve("pipeline.duckdb").toString()), o.err());
        assertTrue(o.err().contains(blocked + ": " + blocked + " exists and is not a directory")
                || o.err().contains(blocked + ": not a directory"), "says why:\n" + o.err());
    }

    @Test
    void invalidYamlIsNamedOnceWithItsFileLineAndColumn() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Files.writeString(config, "instances:\n  mini:\n    table_store: {kind: duckdb\n");
        Outcome o = run(config);
        assertEquals(1, o.code(), o.err());
        assertTrue(o.err().startsWith("weir: " + config + ": is not valid YAML: while parsing a flow mapping"), o.err());
        assertTrue(o.err().contains("(line 3, column"), o.err());
        assertEquals(1, o.err().split("while parsing a flow mapping", -1).length - 1,
                "the parser's complaint is said once, not again as a cause:\n" + o.err());
    }

    @Test
    void aReportUnderAFileIsRefusedBeforeTheRunNamingThePathAndWhy() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Path report = file.resolve("report.json");
        Outcome o = run(config, "--report", report.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--report " + report) && o.err().contains("not a directory"), o.err());
        assertFalse(Files.exists(dir.resolve(".weir")), "the run did not start");
        assertEquals("", o.out());
    }

    @Test
    void aReportThatIsADirectoryIsRefusedBeforeTheRun() throws IOException {
        Outcome o = run(CliFixtures.examplesConfigIn(dir), "--report", dir.toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--report") && o.err().contains("is a directory"), o.err());
        assertFalse(Files.exists(dir.resolve(".weir")), "the run did not start");
    }

    @Test
    void aWritableReportIsNotLeftBehindWhenTheConfigurationFails() throws IOException {
        Path config = CliFixtures.examplesConfigIn(dir);
        Files.writeString(config, Files.readString(config).replace("max_parallelism: 4", "max_parallelism: many"));
        Path report = dir.resolve("out/report.json");
        assertEquals(1, run(config, "--report", report.toString()).code());
        assertFalse(Files.exists(report), "the writability probe leaves no empty report");
    }

    @Test
    void anUnknownTableStoreIsAUsageError() throws IOException {
        Outcome o = run(CliFixtures.examplesConfigIn(dir), "--table-store", "oracle");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("oracle") && o.err().contains("[duckdb, postgres]"), o.err());
    }

    @Test
    void aMissingConfigFileIsAUsageError() {
        Outcome o = weir("run", "lazy-sql", "--instance", "mini", "--config", dir.resolve("nope.yaml").toString());
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--config") && o.err().contains("nope.yaml") && o.err().contains("no such file"),
                o.err());
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        Outcome o = weir("run", "lazy-sql", "--instance", "mini", "--frobnicate");
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("--frobnicate"), o.err());
    }

    @Test
    void aSuccessfulRunSaysNothingOnStderr() throws IOException {
        Outcome o = run(CliFixtures.examplesConfigIn(dir));
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("OK lazy-sql/mini"), o.out());
        assertEquals("", o.err());
    }
}
