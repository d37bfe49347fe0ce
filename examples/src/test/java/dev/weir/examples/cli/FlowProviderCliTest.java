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
 * A user's flow outside weir's class path: a {@code FlowProvider} compiled by the test into a directory
 * and a jar, found through {@code --classpath} or {@code WEIR_CLASSPATH}, and run with {@code --param}
 * by the command line in another JVM.
 */
class FlowProviderCliTest {

    private static final String PROVIDER = """
            package userflows;

            import dev.weir.engine.Flow;
            import dev.weir.engine.Table;
            import dev.weir.engine.config.InstanceConfig;
            import dev.weir.engine.config.WeirConfig;
            import dev.weir.engine.data.Rows;
            import dev.weir.examples.ExampleFlow;
            import dev.weir.examples.FlowProvider;
            import java.util.List;

            public final class GreetingProvider implements FlowProvider {
                @Override
                public List<ExampleFlow> flows() {
                    return List.of(new Greeting());
                }

                static final class Greeting implements ExampleFlow {
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

    @TempDir
    static Path build;

    private static Path classesDir;
    private static Path jar;

    /** A second provider whose flow has the name of the first's. */
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

    @BeforeAll
    static void compileTheUserFlow() throws IOException {
        classesDir = compile("userflows.GreetingProvider", PROVIDER);
        twinDir = compile("twins.TwinProvider", TWIN);
        jar = build.resolve("user-flows.jar");
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             Stream<Path> files = Files.walk(classesDir)) {
            for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
                out.putNextEntry(new JarEntry(classesDir.relativize(p).toString().replace('\\', '/')));
                out.write(Files.readAllBytes(p));
                out.closeEntry();
            }
        }
    }

    /** {@code source} compiled into a directory of its own, registered as a {@code FlowProvider}. */
    private static Path compile(String className, String source) throws IOException {
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
        Files.writeString(services.resolve("dev.weir.examples.FlowProvider"), className + "\n");
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
