package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.testpostgres.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's flow outside weir's class path: a {@code dev.weir.engine.FlowProvider} compiled by the test into
 * a directory and a jar, found through {@code --classpath} or {@code WEIR_CLASSPATH}, and run with
 * {@code --param} by the command line in another JVM; and a jar built for the deprecated
 * {@code dev.weir.examples.FlowProvider}, which still runs.
 */
class FlowProviderCliTest {

    private static final String PROVIDER = """
            package userflows;

            import dev.weir.engine.Flow;
            import dev.weir.engine.FlowProvider;
            import dev.weir.engine.NamedFlow;
            import dev.weir.engine.Table;
            import dev.weir.engine.config.InstanceConfig;
            import dev.weir.engine.config.WeirConfig;
            import dev.weir.engine.data.Rows;
            import java.util.List;

            public final class GreetingProvider implements FlowProvider {
                @Override
                public List<NamedFlow> flows() {
                    return List.of(new Greeting());
                }

                static final class Greeting implements NamedFlow {
                    @Override
                    public String name() {
                        return "user-greeting";
                    }

                    @Override
                    public String description() {
                        return "(user) greets the parameter who";
                    }

                    @Override
                    public Flow create(WeirConfig config, InstanceConfig instance) {
                        return Flow.define("user_greeting", f -> f.stage("greet").task("hello").version("1")
                                .produces(ctx -> {
                                    String who = ctx.attrs().getString("who");
                                    System.out.println("GREET hello " + who);
                                    return Table.of(Rows.builder("msg").add("hello " + who).build());
                                }));
                    }
                }
            }
            """;

    /**
     * A jar of flows built before the provider contract moved to weir-engine: the deprecated interfaces of
     * weir-examples, registered under their service name only.
     */
    private static final String LEGACY = """
            package legacyflows;

            import dev.weir.engine.Flow;
            import dev.weir.engine.Result;
            import dev.weir.engine.Table;
            import dev.weir.engine.config.InstanceConfig;
            import dev.weir.engine.config.WeirConfig;
            import dev.weir.engine.data.Rows;
            import dev.weir.examples.ExampleFlow;
            import dev.weir.examples.FlowProvider;
            import java.io.PrintStream;
            import java.util.List;

            @SuppressWarnings("deprecation")
            public final class LegacyProvider implements FlowProvider {
                @Override
                public List<ExampleFlow> flows() {
                    return List.of(new Legacy());
                }

                static final class Legacy implements ExampleFlow {
                    @Override
                    public String name() {
                        return "legacy-greeting";
                    }

                    @Override
                    public String description() {
                        return "(legacy) greets the parameter who";
                    }

                    @Override
                    public Flow create(WeirConfig config, InstanceConfig instance) {
                        return Flow.define("legacy_greeting", f -> f.stage("greet").task("hello").version("1")
                                .produces(ctx -> {
                                    String who = ctx.attrs().getString("who");
                                    System.out.println("LEGACY hello " + who);
                                    return Table.of(Rows.builder("msg").add("hello " + who).build());
                                }));
                    }

                    @Override
                    public void show(Result result, InstanceConfig instance, PrintStream out) {
                        out.println("LEGACY shown " + result.flow());
                    }
                }
            }
            """;

    @TempDir
    static Path build;

    private static Path classesDir;
    private static Path jar;
    private static Path legacyJar;

    /** A second provider, of the deprecated service name, whose flow has the name of the first's. */
    private static final String TWIN = """
            package twins;

            public final class TwinProvider implements dev.weir.examples.FlowProvider {
                @Override
                public java.util.List<dev.weir.examples.ExampleFlow> flows() {
                    return java.util.List.of(new dev.weir.examples.ExampleFlow() {
                        public String name() {
                            return "user-greeting";
                        }

                        public String description() {
                            return "(user) the same name again";
                        }

                        public dev.weir.engine.Flow create(dev.weir.engine.config.WeirConfig config,
                                                           dev.weir.engine.config.InstanceConfig instance) {
                            throw new UnsupportedOperationException("never run");
                        }
                    });
                }
            }
            """;

    private static Path twinDir;

    private static final String ENGINE_SERVICE = "dev.weir.engine.FlowProvider";
    private static final String OLD_SERVICE = "dev.weir.examples.FlowProvider";

    @BeforeAll
    static void compileTheUserFlow() throws IOException {
        classesDir = compile("userflows.GreetingProvider", PROVIDER, ENGINE_SERVICE);
        twinDir = compile("twins.TwinProvider", TWIN, OLD_SERVICE);
        jar = jar(classesDir, "user-flows.jar");
        legacyJar = jar(compile("legacyflows.LegacyProvider", LEGACY, OLD_SERVICE), "legacy-flows.jar");
    }

    /** The files of {@code classes} in a jar. */
    private static Path jar(Path classes, String name) throws IOException {
        Path jar = build.resolve(name);
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(p));
                out.closeEntry();
            }
        }
        return jar;
    }

    /**
     * {@code source} compiled into a directory of its own, registered as a provider under {@code service} only
     * (the engine's or the deprecated service name).
     */
    private static Path compile(String className, String source, String service) throws IOException {
        Path sourceFile = build.resolve("src").resolve(className.replace('.', '/') + ".java");
        Files.createDirectories(sourceFile.getParent());
        Files.writeString(sourceFile, source);
        Path classes = Files.createDirectories(build.resolve("classes-" + className));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-classpath", System.getProperty("java.class.path"),
                "-d", classes.toString(), sourceFile.toString());
        assertEquals(0, rc, diagnostics.toString(StandardCharsets.UTF_8));
        Path services = Files.createDirectories(classes.resolve("META-INF/services"));
        Files.writeString(services.resolve(service), className + "\n");
        return classes;
    }

    private record Outcome(int code, String output) {
    }

    private static Outcome cli(Path dir, Map<String, String> env, String... args) throws Exception {
        Process process = CliFixtures.startCli(dir, true, env, args);
        process.getOutputStream().close();
        byte[] bytes = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "weir " + String.join(" ", args) + " ended");
        return new Outcome(process.exitValue(), new String(bytes, StandardCharsets.UTF_8));
    }

    @Test
    void flowsListsTheFlowsOfTheClasspathAndOfWeirClasspath(@TempDir Path dir) throws Exception {
        Outcome plain = cli(dir, Map.of(), "flows");
        assertEquals(0, plain.code(), plain.output());
        assertTrue(plain.output().contains("lazy-sql"), plain.output());
        assertFalse(plain.output().contains("user-greeting"), plain.output());

        Outcome withDir = cli(dir, Map.of(), "flows", "--classpath", classesDir.toString());
        assertEquals(0, withDir.code(), withDir.output());
        assertTrue(withDir.output().contains("lazy-sql"), "the built-in examples stay listed:\n" + withDir.output());
        assertTrue(withDir.output().contains("user-greeting    (user) greets the parameter who"), withDir.output());

        Outcome fromEnv = cli(dir, Map.of(ClasspathOption.ENV, jar.toString()), "flows");
        assertEquals(0, fromEnv.code(), fromEnv.output());
        assertTrue(fromEnv.output().contains("user-greeting"), fromEnv.output());

        Outcome missing = cli(dir, Map.of(), "flows", "--classpath", dir.resolve("nope.jar").toString());
        assertEquals(2, missing.code(), missing.output());
        assertTrue(missing.output().contains("--classpath: " + dir.resolve("nope.jar")
                + ": no such jar or directory"), missing.output());
    }

    @Test
    void aJarOfTheEngineServiceNameIsListedAndRuns(@TempDir Path dir) throws Exception {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            assertTrue(file.getEntry("META-INF/services/" + ENGINE_SERVICE) != null, "registered as the engine's");
            assertTrue(file.getEntry("META-INF/services/" + OLD_SERVICE) == null, "not under the old name");
        }
        Path config = CliFixtures.examplesConfigIn(dir);
        String who = "eve-" + System.nanoTime();
        Outcome run = cli(dir, Map.of(), "run", "user-greeting", "--instance", "mini", "--config", config.toString(),
                "--classpath", jar.toString(), "--param", "who=" + who);
        assertEquals(0, run.code(), run.output());
        assertTrue(run.output().contains("GREET hello " + who), run.output());
        assertTrue(run.output().contains("OK user_greeting/mini: 1 ran, 0 cache hits"), run.output());
    }

    @Test
    void aJarOfTheDeprecatedServiceNameOnlyIsStillListedAndRun(@TempDir Path dir) throws Exception {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(legacyJar.toFile())) {
            assertTrue(file.getEntry("META-INF/services/" + OLD_SERVICE) != null, "registered under the old name");
            assertTrue(file.getEntry("META-INF/services/" + ENGINE_SERVICE) == null, "not as the engine's");
        }
        Outcome flows = cli(dir, Map.of(), "flows", "--classpath", legacyJar.toString());
        assertEquals(0, flows.code(), flows.output());
        assertTrue(flows.output().contains("lazy-sql"), "the built-in examples stay listed:\n" + flows.output());
        assertTrue(flows.output().contains("legacy-greeting  (legacy) greets the parameter who"), flows.output());

        Path config = CliFixtures.examplesConfigIn(dir);
        String who = "old-" + System.nanoTime();
        List<String> base = List.of("run", "legacy-greeting", "--instance", "mini", "--config", config.toString(),
                "--classpath", legacyJar.toString(), "--param", "who=" + who);
        Outcome run = cli(dir, Map.of(), base.toArray(String[]::new));
        assertEquals(0, run.code(), run.output());
        assertTrue(run.output().contains("LEGACY hello " + who), "the old provider's task ran:\n" + run.output());
        assertTrue(run.output().contains("LEGACY shown legacy_greeting"), "its show(...) ran:\n" + run.output());
        assertTrue(run.output().contains("OK legacy_greeting/mini: 1 ran, 0 cache hits"), run.output());

        // both service names on one class path: each provider's flows are there
        Outcome both = cli(dir, Map.of(), "flows", "--classpath", jar + java.io.File.pathSeparator + legacyJar);
        assertEquals(0, both.code(), both.output());
        assertTrue(both.output().contains("user-greeting") && both.output().contains("legacy-greeting"),
                both.output());
    }

    @Test
    void twoFlowsOfOneNameAreRefusedNamingBothProviders(@TempDir Path dir) throws Exception {
        Outcome twins = cli(dir, Map.of(), "flows", "--classpath",
                jar + java.io.File.pathSeparator + twinDir);
        assertEquals(2, twins.code(), twins.output());
        assertTrue(twins.output().contains("two flows are named 'user-greeting': one of userflows.GreetingProvider"
                + " and one of twins.TwinProvider"), twins.output());
    }

    @Test
    void runPassesParamsToTheTaskAndAChangedParamRerunsIt(@TempDir Path dir) throws Exception {
        paramsRerun(dir, "duckdb");
    }

    @Test
    void runPassesParamsToTheTaskAndAChangedParamRerunsItOnPostgres(@TempDir Path dir) throws Exception {
        paramsRerun(dir, "postgres");
    }

    private static void paramsRerun(Path dir, String store) throws Exception {
        Path config = CliFixtures.examplesConfigIn(dir);
        // the tests' PostgreSQL server (the PG* variables' or an embedded one) reaches the child through PG*
        Map<String, String> env = store.equals("postgres") ? TestPostgres.require().env() : Map.of();
        List<String> base = List.of("run", "user-greeting", "--instance", "mini", "--config", config.toString(),
                "--classpath", jar.toString(), "--table-store", store);
        // values of this test run only: a server's cache outlives the test's directory
        String ada = "ada-" + System.nanoTime();
        String bob = "bob-" + System.nanoTime();

        Outcome first = cli(dir, env, args(base, "--param", "who=" + ada));
        assertEquals(0, first.code(), first.output());
        assertTrue(first.output().contains("GREET hello " + ada), "the param reached the task:\n" + first.output());

        Outcome same = cli(dir, env, args(base, "--param", "who=" + ada));
        assertEquals(0, same.code(), same.output());
        assertFalse(same.output().contains("GREET"), "same param, the task's cache is valid:\n" + same.output());

        Outcome changed = cli(dir, env, args(base, "--param", "who=" + bob));
        assertEquals(0, changed.code(), changed.output());
        assertTrue(changed.output().contains("GREET hello " + bob), "a changed param reruns the task:\n"
                + changed.output());

        Outcome unknown = cli(dir, Map.of(), "run", "user-greeting", "--instance", "mini", "--config",
                config.toString());
        assertEquals(2, unknown.code(), "without --classpath the flow is unknown:\n" + unknown.output());
        assertTrue(unknown.output().contains("unknown flow 'user-greeting'"), unknown.output());
    }

    private static String[] args(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private record InProcess(int code, String out, String err) {
    }

    private static InProcess weir(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = WeirCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new InProcess(code, out.toString(), err.toString());
    }

    @Test
    void helpIsPrintedWithoutArgumentsAndForEachCommandWithTheExitCodes() {
        InProcess none = weir();
        assertEquals(0, none.code(), none.err());
        assertTrue(none.out().contains("Usage: weir"), none.out());
        assertTrue(none.out().contains("Exit codes:") && none.out().contains("the command line is wrong"),
                none.out());

        InProcess runHelp = weir("run", "--help");
        assertEquals(0, runHelp.code(), runHelp.err());
        assertTrue(runHelp.out().contains("Usage: weir run"), runHelp.out());
        assertTrue(runHelp.out().contains("--param=KEY=VALUE") && runHelp.out().contains("--classpath=JARS_OR_DIRS"),
                runHelp.out());
        assertTrue(runHelp.out().contains("Exit codes:") && runHelp.out().contains("the run failed, or could not start"), runHelp.out());

        InProcess flowsHelp = weir("flows", "--help");
        assertEquals(0, flowsHelp.code(), flowsHelp.err());
        assertTrue(flowsHelp.out().contains("--classpath=JARS_OR_DIRS"), flowsHelp.out());

        for (String command : List.of("plan", "status")) {
            InProcess help = weir(command, "--help");
            assertEquals(0, help.code(), command + ": " + help.err());
            assertTrue(help.out().contains("Usage: weir " + command) && help.out().contains("--instance=<instance>"),
                    help.out());
        }

        InProcess badParam = weir("run", "lazy-sql", "--instance", "mini", "--param", "9x=1");
        assertEquals(2, badParam.code(), badParam.err());
        assertTrue(badParam.err().contains("--param 9x=...: '9x' is not a parameter name"), badParam.err());
    }
}
