package dev.weir.stores.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.store.LockManager;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The instance lock holds across processes: a second JVM ({@link LockWaiterProcess}) asking for the
 * lock this JVM holds waits, and gets it only once this JVM releases it.
 */
@ExtendWith(PostgresTestServer.Required.class)
class PostgresLockAcrossProcessesTest {

    private static PostgresTestServer server;
    private static PostgresTableStore store;

    @BeforeAll
    static void openStore() {
        server = PostgresTestServer.require();
        store = server.open("locks");
    }

    @AfterAll
    static void closeStore() throws Exception {
        if (store != null) {
            store.close();
            server.dropAll();
        }
    }

    @Test
    void aSecondProcessWaitsForTheInstanceLockAndTakesItOnceReleased() throws Exception {
        String lockName = "instance:" + server.prefix() + "locks_id";
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        LockManager.Lock held = store.locks().acquire(lockName, Duration.ofSeconds(1), wait -> { });
        Process child = null;
        try {
            child = startWaiter(lockName, Duration.ofSeconds(8));
            StringBuffer output = new StringBuffer();
            BlockingQueue<String> lines = readMarkedLines(child, events, output);
            String first = lines.poll(8, TimeUnit.SECONDS);
            assertEquals("waiting", first, "the second process reports that it waits; its output:\n" + output);
            events.add("this JVM releases");
            held.close();
            String acquired = lines.poll(5, TimeUnit.SECONDS);
            assertNotNull(acquired, "the second process took the lock within 5 s of its release; its output:\n" + output);
            assertTrue(acquired.startsWith("acquired "), acquired);
            assertEquals("released", lines.poll(5, TimeUnit.SECONDS), "events " + events);
            assertTrue(child.waitFor(5, TimeUnit.SECONDS), "the second process ends");
            assertEquals(0, child.exitValue(), "exit code of the second process; its output:\n" + output);

            // the order proves the second process took the lock only after this one released it
            assertEquals(List.of("waiting", "this JVM releases", acquired, "released"), events);
        } finally {
            held.close();
            if (child != null) {
                child.destroyForcibly();
            }
        }
    }

    /** Starts {@link LockWaiterProcess} on this JVM's class path, with this process's PG* variables. */
    private static Process startWaiter(String lockName, Duration timeout) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), LockWaiterProcess.class.getName(),
                server.prefix(), lockName, Long.toString(timeout.toMillis()));
        builder.environment().putAll(server.env());
        builder.redirectErrorStream(true);
        return builder.start();
    }

    /**
     * Reads the child's output on a daemon thread; its report lines go to the queue and to
     * {@code events} in the order they arrive, every line to {@code output} for failure messages.
     */
    private static BlockingQueue<String> readMarkedLines(Process child, List<String> events, StringBuffer output) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    output.append(line).append('\n');
                    if (line.startsWith(LockWaiterProcess.MARK)) {
                        String report = line.substring(LockWaiterProcess.MARK.length());
                        events.add(report);
                        lines.add(report);
                    }
                }
            } catch (java.io.IOException e) {
                events.add("reading the second process failed: " + e);
            }
        }, "lock-waiter-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
