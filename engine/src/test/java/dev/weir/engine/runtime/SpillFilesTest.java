package dev.weir.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillFilesTest {

    @TempDir
    Path dir;

    /** The id of a process that has ended. */
    private static long endedProcess() throws Exception {
        Process process = new ProcessBuilder("true").start();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        return process.pid();
    }

    @Test
    void aNewFileIsNamedAfterThisProcessAndTheFilesOfEndedProcessesAreDeleted() throws Exception {
        Path ended = Files.writeString(dir.resolve("chunks-" + endedProcess() + "-123.arrow"), "left by a killed run");
        Path live = Files.writeString(dir.resolve("chunks-" + ProcessHandle.current().pid() + "-456.arrow"), "in use");
        Path other = Files.writeString(dir.resolve("notes.txt"), "not a spill file");

        Path created = SpillFiles.create(dir.resolve("."), "test");

        assertFalse(Files.exists(ended), "the file of an ended process is deleted");
        assertTrue(Files.exists(live), "a file of a live process stays");
        assertTrue(Files.exists(other), "other files stay");
        assertTrue(created.getFileName().toString().startsWith("chunks-" + ProcessHandle.current().pid() + "-"),
                created.toString());
        assertEquals(0, Files.size(created));
    }

    @Test
    void theDirectoryIsCreatedWhenMissing() {
        Path created = SpillFiles.create(dir.resolve("work/spill"), "test");
        assertTrue(Files.isRegularFile(created));
        assertEquals(0, SpillFiles.sweep(dir.resolve("work/spill")), "its own file is kept");
    }
}
