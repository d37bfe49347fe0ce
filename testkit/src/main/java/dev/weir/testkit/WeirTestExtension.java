package dev.weir.testkit;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.testpostgres.TestPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
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
            TestPostgres.require(); // skips (or fails under CI=true) before a kit is made
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
