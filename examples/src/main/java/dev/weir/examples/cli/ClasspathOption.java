package dev.weir.examples.cli;

import dev.weir.examples.cli.WeirCommand.UsageError;
import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Option;

/**
 * {@code --classpath JARS_OR_DIRS} (else the environment's {@code WEIR_CLASSPATH}): the jars and class
 * directories holding the user's flows, separated by the platform's path separator ({@code :} on Unix);
 * {@code DIR/*} stands for the jars in DIR. They get a class loader of their own whose parent is
 * weir's, so Weir, Pekko and Arrow stay weir's, and the flows are found and run through it.
 */
final class ClasspathOption {

    /** The environment variable read when {@code --classpath} is not given. */
    static final String ENV = "WEIR_CLASSPATH";

    @Option(names = "--classpath", paramLabel = "JARS_OR_DIRS", description = "Jars and class directories with"
            + " more flows (FlowProvider), separated by '${sys:path.separator}'; DIR/* is every jar in DIR."
            + " Default: $" + ENV + ".")
    String classpath;

    /** The flows of the built-in examples and of the class path. */
    FlowCatalog catalog() {
        return FlowCatalog.load(loader());
    }

    /** weir's own class loader, or a child of it over the class path's entries. */
    ClassLoader loader() {
        ClassLoader parent = WeirCommand.class.getClassLoader();
        String option = classpath != null ? "--classpath" : ENV;
        String value = classpath != null ? classpath : System.getenv(ENV);
        if (value == null || value.isBlank()) {
            return parent;
        }
        List<URL> urls = new ArrayList<>();
        for (String entry : value.split(File.pathSeparator)) {
            if (entry.isBlank()) {
                continue;
            }
            if (entry.endsWith("/*") || entry.equals("*")) {
                Path dir = Path.of(entry.equals("*") ? "." : entry.substring(0, entry.length() - 2));
                if (!Files.isDirectory(dir)) {
                    throw new UsageError(option + ": " + entry + ": no such directory (" + dir.toAbsolutePath() + ")");
                }
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path jar : files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList()) {
                        urls.add(url(option, jar));
                    }
                } catch (IOException e) {
                    throw new UsageError(option + ": cannot list " + dir.toAbsolutePath() + ": "
                            + RunErrors.reason(e), e);
                }
                continue;
            }
            Path path = Path.of(entry);
            if (!Files.exists(path)) {
                throw new UsageError(option + ": " + entry + ": no such jar or directory (" + path.toAbsolutePath()
                        + ")");
            }
            urls.add(url(option, path));
        }
        return new URLClassLoader("weir-classpath", urls.toArray(URL[]::new), parent);
    }

    private static URL url(String option, Path path) {
        try {
            return path.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new UsageError(option + ": " + path + ": not a usable path: " + e.getMessage(), e);
        }
    }
}
