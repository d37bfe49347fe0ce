package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** memory.run, memory.task and memory.chunk: sizes in bytes, unlimited by default, checked at load. */
class MemoryKeysTest {

    private static InstanceConfig mini(String memory) {
        return Configs.yaml(Configs.duckdb("""
                instances:
                  __any__:
                    table_store: {table_store_connection: duckdb}
                  mini:
                """ + memory)).instance("mini");
    }

    @Test
    void withoutTheKeysARunMayHoldTheJvmsDirectMemory() {
        long direct = InstanceConfig.Memory.directMemoryLimit();
        assertTrue(direct > 0 && direct < Long.MAX_VALUE, "a limit: " + direct);
        long auto = direct / 4 * 3;
        assertEquals(new InstanceConfig.Memory(auto, auto, auto), mini("    fail_fast: false\n").memory());
    }

    @Test
    void unlimitedIsAValueToo() {
        assertEquals(InstanceConfig.Memory.UNLIMITED, mini("""
                    memory: {run: unlimited}
                """).memory());
    }

    @Test
    void sizesAreReadInBytesWithTheirUnits() {
        InstanceConfig.Memory memory = mini("""
                    memory: {run: 2GiB, task: 512MiB, chunk: "64 MiB"}
                """).memory();
        assertEquals(new InstanceConfig.Memory(2L << 30, 512L << 20, 64L << 20), memory);
        assertEquals("Memory[run=2 GiB, task=512 MiB, chunk=64 MiB]", memory.toString());
    }

    @Test
    void aKeyLeftOutStaysUnlimitedAndABareNumberIsBytes() {
        InstanceConfig.Memory memory = mini("""
                    memory: {chunk: 700000}
                """).memory();
        long auto = InstanceConfig.Memory.autoRun();
        assertEquals(new InstanceConfig.Memory(auto, auto, 700_000), memory);
    }

    @Test
    void theBudgetsAreShownWithTheInstancesSettings() {
        WeirConfig config = Configs.yaml(Configs.duckdb("""
                instances:
                  mini:
                    table_store: {table_store_connection: duckdb}
                    memory: {run: 1GiB, task: 512MiB}
                """));
        String described = config.describe(config.instance("mini"));
        assertTrue(described.contains("  memory: Memory[run=1 GiB, task=512 MiB, chunk=512 MiB]\n"), described);
    }

    @Test
    void aLevelLeftUnlimitedTakesTheBudgetAboveIt() {
        InstanceConfig.Memory memory = mini("""
                    memory: {run: 1GiB, task: 512MiB}
                """).memory();
        assertEquals(new InstanceConfig.Memory(1L << 30, 512L << 20, 512L << 20), memory);
    }

    @Test
    void aBadSizeIsRefusedNamingTheFileAndKey() {
        ConfigError e = assertThrows(ConfigError.class, () -> mini("""
                    memory: {task: lots}
                """));
        assertEquals("instances.mini.memory.task", e.key());
        assertTrue(e.getMessage().contains("a size above zero such as '512MiB'"), e.getMessage());
        assertTrue(e.getMessage().contains("lots"), e.getMessage());
        assertTrue(e.file() != null && e.getMessage().contains(e.file()), e.getMessage());
    }

    @Test
    void aZeroSizeIsRefused() {
        ConfigError e = assertThrows(ConfigError.class, () -> mini("""
                    memory: {chunk: 0}
                """));
        assertEquals("instances.mini.memory.chunk", e.key());
    }

    @Test
    void aChunkBudgetAboveItsTasksIsRefusedNamingBothKeys() {
        ConfigError e = assertThrows(ConfigError.class, () -> mini("""
                    memory: {task: 64MiB, chunk: 128MiB}
                """));
        assertEquals("instances.mini.memory.chunk", e.key());
        assertTrue(e.getMessage().contains("at most memory.task (64 MiB"), e.getMessage());
    }

    @Test
    void anUnknownKeyInTheSectionIsATypo() {
        ConfigError e = assertThrows(ConfigError.class, () -> mini("""
                    memory: {chunks: 64MiB}
                """));
        assertTrue(e.getMessage().contains("chunk"), e.getMessage());
    }

    @Test
    void anInstanceChangedInCodeKeepsItsBudgets() {
        InstanceConfig mini = mini("""
                    memory: {task: 512MiB}
                """);
        assertEquals(mini.memory(), mini.withAttrs(com.typesafe.config.ConfigFactory.parseString("x = 1")).memory());
        assertEquals(mini.memory(), mini.withFailFast(true).memory());
    }
}
