package dev.weir.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A cached run as a command a user types: the whole process of the distribution's {@code bin/weir}, JVM
 * start to exit, timed from outside. Unpacks the distribution into a temporary directory (its class-data
 * sharing archive goes to a cache there too), runs each flow once cold (which also records the archive)
 * and once cached to settle, then alternates, {@code runs} times:
 * <ol>
 *   <li>{@code weir flows}: the floor, a JVM and the command line with no engine;</li>
 *   <li>{@code weir run multi-instance --instance full}, all 4 tasks cache hits, on embedded DuckDB;</li>
 *   <li>{@code weir run pg-overhead --instance full --config startup-bench.yaml --classpath weir-benchmarks.jar},
 *       the 60-task flow of {@link PgEngineOverheadBenchmark}, all cache hits, on PostgreSQL (the PG*
 *       variables name the server; its schemas have a prefix of their own, dropped at the end);</li>
 * </ol>
 * The same again with {@code WEIR_CDS=off} (what the class-data sharing archive saves), and, when a
 * reference distribution is given (say one built from an older commit), with that one, side by side.
 * Every run must exit 0 and report every task a cache hit. Reports medians and the machine's load.
 *
 * <p>Usage: {@code benchmarks/run startup [runs [reference-dist.tar.gz]]} (default 7 runs).
 */
public final class StartupBenchmark {

    /** pipedag's cached run of its own 60-task flow as a whole process, measured on this machine (issue 15). */
    static final double PIPEDAG_CACHED_SECONDS = 2.29;
    static final double GOAL_DUCKDB = 0.5;
    static final double GOAL_PG = 0.6;

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path dist = Path.of(args.length > 1 ? args[1] : "examples/target/weir-examples-0.1.0-SNAPSHOT-dist.tar.gz");
        Path benchJar = Path.of(args.length > 2 ? args[2] : "benchmarks/target/weir-benchmarks-0.1.0-SNAPSHOT.jar")
                .toAbsolutePath();
        Path referenceDist = args.length > 3 ? Path.of(args[3]) : null;
        Path dir = Files.createTempDirectory("weir-startup");
        PgBenchServer server = new PgBenchServer(dir);
        try {
            List<Subject> subjects = new ArrayList<>();
            subjects.add(Subject.unpack("this build", dist, dir.resolve("this"), server, benchJar, Map.of()));
            subjects.add(Subject.unpack("this build, WEIR_CDS=off", dist, dir.resolve("this-no-cds"), server, benchJar,
                    Map.of("WEIR_CDS", "off")));
            if (referenceDist != null) {
                subjects.add(Subject.unpack("reference " + referenceDist.getFileName(), referenceDist,
                        dir.resolve("reference"), server, benchJar, Map.of()));
            }
            for (Subject s : subjects) {
                s.flows = new double[runs];
                s.duckTimes = new double[runs];
                s.pgTimes = new double[runs];
                s.duckCpu = new double[runs];
                s.pgCpu = new double[runs];
            }
            String load = uptime();
            System.out.printf(Locale.ROOT, "startup: whole processes of bin/weir, %d runs each, alternating; %s%n", runs,
                    load);
            for (Subject s : subjects) {
                double coldDuck = s.time(s.duck, "OK multi-instance/full");
                double coldPg = s.time(s.pg, "OK pg_overhead/full: " + PgEngineOverheadBenchmark.TASKS + " ran");
                s.time(s.duck, DUCK_CACHED);
                s.time(s.pg, PG_CACHED);
                System.out.printf(Locale.ROOT, "  %s: first runs (cold; this build's records its class-data sharing"
                        + " archive): DuckDB %.2f s, PostgreSQL %.2f s%n", s.label, coldDuck, coldPg);
            }
            for (int i = 0; i < runs; i++) {
                for (Subject s : subjects) {
                    s.flows[i] = s.time(s.flowsCommand, "multi-instance");
                    s.duckTimes[i] = s.time(s.duck, DUCK_CACHED);
                    s.duckCpu[i] = s.lastCpu;
                    s.pgTimes[i] = s.time(s.pg, PG_CACHED);
                    s.pgCpu[i] = s.lastCpu;
                    System.out.printf(Locale.ROOT, "  run %d, %-28s flows %.3f s, cached DuckDB %.3f s (CPU %.2f s),"
                            + " cached PostgreSQL (60 tasks) %.3f s (CPU %.2f s)%n", i + 1, s.label + ":", s.flows[i],
                            s.duckTimes[i], s.duckCpu[i], s.pgTimes[i], s.pgCpu[i]);
                }
            }
            System.out.printf(Locale.ROOT, "startup: medians of %d runs (%s before, %s after)%n", runs, load, uptime());
            System.out.printf(Locale.ROOT, "  %-34s %10s %14s %10s %20s %10s%n", "", "weir flows", "cached DuckDB",
                    "(CPU)", "cached PostgreSQL 60", "(CPU)");
            for (Subject s : subjects) {
                System.out.printf(Locale.ROOT, "  %-34s %8.3f s %12.3f s %8.2f s %18.3f s %8.2f s%n", s.label,
                        Rounds.median(s.flows), Rounds.median(s.duckTimes), Rounds.median(s.duckCpu),
                        Rounds.median(s.pgTimes), Rounds.median(s.pgCpu));
            }
            Subject main = subjects.get(0);
            double duck = Rounds.median(main.duckTimes);
            double pg = Rounds.median(main.pgTimes);
            double floor = Rounds.median(main.flows);
            System.out.printf(Locale.ROOT, "  cached DuckDB run: %.3f s, %.2fx the floor (goal <= %.1f s: %s)%n", duck,
                    duck / floor, GOAL_DUCKDB, duck <= GOAL_DUCKDB ? "met" : "MISSED");
            System.out.printf(Locale.ROOT, "  cached 60-task PostgreSQL run: %.3f s, %.2fx the floor (goal <= %.1f s: %s);"
                    + " pipedag's recorded %.2f s is %.1fx that%n", pg, pg / floor, GOAL_PG, pg <= GOAL_PG ? "met" : "MISSED",
                    PIPEDAG_CACHED_SECONDS, PIPEDAG_CACHED_SECONDS / pg);
            System.out.printf(Locale.ROOT, "  the class-data sharing archive saves %.0f ms of the cached DuckDB run%n",
                    (Rounds.median(subjects.get(1).duckTimes) - duck) * 1e3);
            if (referenceDist != null) {
                Subject ref = subjects.get(2);
                System.out.printf(Locale.ROOT, "  reference / this build: flows %.2fx, cached DuckDB %.2fx, cached PostgreSQL %.2fx%n",
                        Rounds.median(ref.flows) / floor, Rounds.median(ref.duckTimes) / duck,
                        Rounds.median(ref.pgTimes) / pg);
            }
        } finally {
            server.dropPrefixes();
            PgEngineOverheadBenchmark.deleteTree(dir);
        }
    }

    static final String DUCK_CACHED = "OK multi-instance/full: 0 ran, 4 cache hits";
    static final String PG_CACHED = "OK pg_overhead/full: 0 ran, " + PgEngineOverheadBenchmark.TASKS + " cache hits";

    /** One distribution, unpacked into a directory of its own, with its own cache, work directory and schemas. */
    private static final class Subject {
        final String label;
        final Path work;
        final Map<String, String> env;
        final List<String> flowsCommand;
        final List<String> duck;
        final List<String> pg;
        double[] flows;
        double[] duckTimes;
        double[] pgTimes;
        double[] duckCpu;
        double[] pgCpu;

        private Subject(String label, Path weir, Path work, Map<String, String> env, Path benchJar) {
            this.label = label;
            this.work = work;
            this.env = env;
            this.flowsCommand = List.of(weir.toString(), "flows");
            this.duck = List.of(weir.toString(), "run", "multi-instance", "--instance", "full");
            this.pg = List.of(weir.toString(), "run", "pg-overhead", "--instance", "full", "--config",
                    "startup-bench.yaml", "--classpath", benchJar.toString());
        }

        static Subject unpack(String label, Path dist, Path home, PgBenchServer server, Path benchJar,
                              Map<String, String> extraEnv) throws Exception {
            Files.createDirectories(home);
            StartupBenchmark.run(home, List.of("tar", "-xzf", dist.toAbsolutePath().toString(), "-C", home.toString()),
                    Map.of(), null);
            Path weir;
            try (Stream<Path> homes = Files.list(home)) {
                weir = homes.filter(p -> p.getFileName().toString().startsWith("weir-")).findFirst()
                        .orElseThrow(() -> new IllegalStateException(dist + " holds no weir-VERSION/ directory"))
                        .resolve("bin/weir");
            }
            Path work = Files.createDirectories(home.resolve("work"));
            Files.writeString(work.resolve("startup-bench.yaml"), String.join("\n",
                    "name: startup_bench",
                    "table_store_connections:",
                    "  postgres:",
                    "    kind: postgres",
                    "    args:",
                    "      schema_prefix: \"" + server.newPrefix("startup") + "{instance_id}_\"",
                    "technical_setups:",
                    "  default:",
                    "    instance_id: startup",
                    "    work_dir: \".weir/{instance_id}\"",
                    "    table_store:",
                    "      table_store_connection: postgres",
                    "    orchestration:",
                    "      engine: parallel",
                    "      max_parallelism: " + PgEngineOverheadBenchmark.PARALLELISM,
                    "instances:",
                    "  __any__:",
                    "    technical_setup: default",
                    "  full:",
                    "    instance_id: full",
                    ""));
            Map<String, String> env = new java.util.HashMap<>(extraEnv);
            env.put("XDG_CACHE_HOME", home.resolve("cache").toString());
            return new Subject(label, weir, work, Map.copyOf(env), benchJar);
        }

        /** CPU seconds (user + system) of the last {@link #time} call's process. */
        double lastCpu;

        /** Wall seconds of the command; its CPU seconds go to {@link #lastCpu} (bash's {@code time} reports them). */
        double time(List<String> command, String expect) throws Exception {
            List<String> timed = new ArrayList<>(List.of("bash", "-c", "TIMEFORMAT='weir-cpu %U %S'; time \"$@\"", "bash"));
            timed.addAll(command);
            String[] output = new String[1];
            double wall = StartupBenchmark.run(work, timed, env, expect, output);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("weir-cpu ([0-9.]+) ([0-9.]+)").matcher(output[0]);
            if (!m.find()) {
                throw new IllegalStateException("no CPU time in the output of " + command);
            }
            lastCpu = Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2));
            return wall;
        }
    }

    /**
     * Runs the command in {@code dir} with the extra environment and returns its wall time in seconds; fails
     * unless it exits 0 and, when {@code expect} is given, its output contains it.
     */
    private static double run(Path dir, List<String> command, Map<String, String> env, String expect)
            throws IOException, InterruptedException {
        return run(dir, command, env, expect, new String[1]);
    }

    /** As {@link #run(Path, List, Map, String)}, handing the process's output back in {@code output[0]}. */
    private static double run(Path dir, List<String> command, Map<String, String> env, String expect,
                              String[] output) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] bytes = process.getInputStream().readAllBytes();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish in 5 minutes");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String text = new String(bytes, StandardCharsets.UTF_8);
        output[0] = text;
        if (process.exitValue() != 0 || (expect != null && !text.contains(expect))) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue()
                    + (expect == null ? "" : " (expected '" + expect + "' in its output)") + ":\n" + text.strip());
        }
        return seconds;
    }

    /** The machine's load averages, as {@code uptime} prints them. */
    private static String uptime() throws IOException {
        String loadavg = Files.readString(Path.of("/proc/loadavg")).strip();
        List<String> parts = new ArrayList<>(Arrays.asList(loadavg.split(" ")));
        return "load average " + String.join(", ", parts.subList(0, 3));
    }
}
