package dev.weir.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.WeirConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without --config a command reads the pipeline configuration of its working directory, as pipedag does. */
class ConfigDiscoveryTest {

    @TempDir
    Path dir;

    private static final String MINE = """
            instances:
              mine:
                instance_id: mine
            """;

    @Test
    void aWeirYamlInTheWorkingDirectoryIsRead() throws Exception {
        Files.writeString(dir.resolve("weir.yaml"), MINE);
        WeirConfig config = InstanceOptions.load(null, dir);
        assertEquals(List.of("mine"), config.instanceNames());
        assertTrue(config.file().endsWith("weir.yaml"), config.file());
    }

    @Test
    void aPipedagYamlIsReadToo() throws Exception {
        Files.writeString(dir.resolve("pipedag.yaml"), MINE);
        assertEquals(List.of("mine"), InstanceOptions.load(null, dir).instanceNames());
    }

    @Test
    void withoutOneTheExamplesConfigurationIsRead() {
        assertTrue(InstanceOptions.load(null, dir).instanceNames().containsAll(List.of("full", "mini")));
    }

    @Test
    void configNamesTheFileWhateverTheWorkingDirectoryHolds() throws Exception {
        Files.writeString(dir.resolve("weir.yaml"), MINE);
        Path other = Files.writeString(dir.resolve("other.yaml"), MINE.replace("mine", "theirs"));
        assertEquals(List.of("theirs"), InstanceOptions.load(other, dir).instanceNames());
    }

    @Test
    void twoConfigurationsInTheWorkingDirectoryAreRefusedNamingBoth() throws Exception {
        Files.writeString(dir.resolve("weir.yaml"), MINE);
        Files.writeString(dir.resolve("pipedag.yaml"), MINE);
        WeirCommand.UsageError e = assertThrows(WeirCommand.UsageError.class, () -> InstanceOptions.load(null, dir));
        assertTrue(e.getMessage().contains("[weir.yaml, pipedag.yaml]") && e.getMessage().contains("--config"),
                e.getMessage());
    }
}
