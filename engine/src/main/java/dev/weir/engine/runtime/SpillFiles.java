package dev.weir.engine.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files a batched task spills to under {@code <workDir>/spill/}. Each is named after the process that
 * writes it ({@code chunks-<pid>-<random>.arrow}) and deleted by that process when its task ends; a
 * process killed meanwhile cannot, so creating a file first deletes the files of processes that are no
 * longer alive. A file of a live process, or of a process id reused since, stays: that costs disk space
 * until the next sweep, never a file in use.
 */
final class SpillFiles {

    private static final Logger LOG = LoggerFactory.getLogger(SpillFiles.class);
    private static final Pattern NAME = Pattern.compile("chunks-(\\d+)-[^/]*\\.arrow");

    private SpillFiles() {
    }

    /**
     * A new empty file in {@code dir} (created with its parents) named after this process, once the files
     * of dead processes are deleted. {@code what} says what the file is for, in the error.
     */
    static Path create(Path dir, String what) {
        try {
            Files.createDirectories(dir);
            sweep(dir);
            return Files.createTempFile(dir, "chunks-" + ProcessHandle.current().pid() + "-", ".arrow");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file in " + dir + " to " + what, e);
        }
    }

    /** Deletes the spill files in {@code dir} whose process is no longer alive; returns how many. */
    static int sweep(Path dir) {
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "chunks-*.arrow")) {
            for (Path file : files) {
                Matcher name = NAME.matcher(file.getFileName().toString());
                if (!name.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(name.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                try {
                    if (Files.deleteIfExists(file)) {
                        deleted++;
                    }
                } catch (IOException e) {
                    LOG.debug("cannot delete {}, left by process {} which has ended", file, pid, e);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {} to delete the files of ended processes", dir, e);
        }
        if (deleted > 0) {
            LOG.info("deleted {} spill file(s) in {} left by processes that ended while a batched task ran", deleted, dir);
        }
        return deleted;
    }
}
