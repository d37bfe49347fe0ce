package dev.weir.testpostgres;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Prints each skipped test and why on the console: a disabled test or class (an {@code ExecutionCondition})
 * and an aborted one (a failed assumption, such as {@link TestPostgres#require()} without a server).
 *
 * <p>It writes to the process's own standard error, not {@code System.err}: Surefire sends a test's
 * {@code System.err} to a report file ({@code redirectTestOutputToFile}), but copies the forked JVM's standard
 * error to the build's console. A module's tests register it in
 * {@code src/test/resources/META-INF/services/org.junit.platform.launcher.TestExecutionListener}.
 */
public final class SkipReasons implements TestExecutionListener {

    private final PrintStream console;

    public SkipReasons() {
        this(new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8));
    }

    SkipReasons(PrintStream console) {
        this.console = console;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        console.println("SKIPPED " + name(test) + ": " + reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            console.println("SKIPPED " + name(test) + ": " + reason);
        }
    }

    /** {@code SimpleClass.method} for a test method, {@code SimpleClass} for a class, else the display name. */
    private static String name(TestIdentifier test) {
        return test.getSource().map(source -> {
            if (source instanceof MethodSource m) {
                return simple(m.getClassName()) + "." + m.getMethodName();
            }
            if (source instanceof ClassSource c) {
                return simple(c.getClassName());
            }
            return null;
        }).orElse(test.getDisplayName());
    }

    private static String simple(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
