package dev.weir.cluster.node;

import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs the JDK's keytool once per line of a file (arguments separated by tabs) in this one JVM; started by
 * {@link TestCertificates} with {@code --add-exports=java.base/sun.security.tools.keytool=ALL-UNNAMED}.
 * keytool itself exits the JVM with status 1 on an error.
 */
public final class KeytoolBatch {

    private KeytoolBatch() {
    }

    public static void main(String[] args) throws Exception {
        var keytool = Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class);
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            try {
                keytool.invoke(null, (Object) line.split("\t"));
            } catch (InvocationTargetException e) {
                System.err.println("keytool " + line.split("\t")[0] + " failed: " + e.getCause());
                System.exit(2);
            }
        }
    }
}
