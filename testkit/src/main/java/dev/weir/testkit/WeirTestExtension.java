package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link WeirTest}: resolves {@link FlowTestKit} and {@link InstanceConfig} parameters of
 * test methods, one kit and one instance per test, and closes the kit after the test.
 */
public final class WeirTestExtension implements ParameterResolver, AfterEachCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(WeirTestExtension.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

    /** One test's kit, its directory and its instance. */
    private static final class PerTest {
        final Path dir;
        final FlowTestKit kit;
        InstanceConfig instance;

        PerTest(Path dir) {
            this.dir = dir;
            this.kit = FlowTestKit.create(dir);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return context.getTestMethod().isPresent() && (type == FlowTestKit.class || type == InstanceConfig.class);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        WeirTest settings = AnnotationSupport.findAnnotation(context.getRequiredTestClass(), WeirTest.class)
                .orElseThrow(() -> new ParameterResolutionException(
                        context.getRequiredTestClass().getName() + " is not annotated @WeirTest"));
        if (settings.store() == WeirTest.Store.POSTGRES) {
            requirePostgres(System.getenv());
        }
        PerTest test = context.getStore(NAMESPACE).computeIfAbsent(PerTest.class, key -> {
            try {
                return new PerTest(Files.createTempDirectory("weir-test-"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the temporary directory of a @WeirTest", e);
            }
        }, PerTest.class);
        if (parameter.getParameter().getType() == FlowTestKit.class) {
            return test.kit;
        }
        if (test.instance == null) {
            test.instance = settings.store() == WeirTest.Store.POSTGRES
                    ? test.kit.postgresInstance(settings.instance())
                    : test.kit.instance(settings.instance());
        }
        return test.instance;
    }

    /** Closes the test's kit (failing the test on an Arrow leak), then deletes its directory. */
    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        PerTest test = context.getStore(NAMESPACE).remove(PerTest.class, PerTest.class);
        if (test == null) {
            return;
        }
        try {
            test.kit.close();
        } finally {
            delete(test.dir);
        }
    }

    /** Aborts (skips) the test when no PostgreSQL server answers, or fails it under {@code CI=true}. */
    static void requirePostgres(Map<String, String> env) {
        String host = env.getOrDefault("PGHOST", "localhost");
        int port;
        try {
            port = Integer.parseInt(env.getOrDefault("PGPORT", "5432"));
        } catch (NumberFormatException e) {
            Assertions.fail("PGPORT is not a port number: " + env.get("PGPORT"), e);
            return;
        }
        String reason = null;
        if (env.get("PGHOST") == null) {
            reason = "no PostgreSQL server configured (PGHOST is not set)";
        } else {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                reason = "no PostgreSQL server at " + host + ":" + port + " (" + e.getMessage() + ")";
            }
        }
        if (reason == null) {
            return;
        }
        if ("true".equals(env.get("CI"))) {
            Assertions.fail("CI=true: " + reason);
        }
        System.err.println("@WeirTest(store = POSTGRES) skipped: " + reason);
        Assumptions.abort(reason);
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
