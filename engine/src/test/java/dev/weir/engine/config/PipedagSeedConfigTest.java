package dev.weir.engine.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.config.InstanceConfig.Orchestration.Engine;
import dev.weir.engine.store.StoreSettings;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** pipedag's multi-instance example (test resource pipedag.yaml) as Weir reads it. */
class PipedagSeedConfigTest {

    static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(PipedagSeedConfigTest.class.getResource("/" + name), name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static WeirConfig.Loader seedLoader() {
        return WeirConfig.loader()
                .environment(Map.of("POSTGRES_PASSWORD_CFG", resource("postgres_password.yaml").toString(),
                        "POSTGRES_USERNAME", "admin", "POSTGRES_PASSWORD", "env-Pa55"))
                .userName("alice")
                .workingDirectory(Path.of("/work/project"));
    }

    private final WeirConfig config = seedLoader().fromResource("pipedag.yaml");

    @Test
    void listsTheThreeInstances() {
        assertEquals(List.of("full", "midi", "mini"), config.instanceNames());
        assertEquals("data_pipeline", config.pipelineName());
    }

    @Test
    void warnsOncePerPythonSpecificKey() {
        List<String> warnings = config.warnings();
        assertAll(
                () -> assertTrue(warnings.contains(
                        "pipedag.yaml: technical_setups.default.auto_table is a Python-specific pipedag key;"
                                + " Weir ignores it"), warnings::toString),
                () -> assertTrue(warnings.contains(
                        "pipedag.yaml: technical_setups.default.network_interface is a Python-specific pipedag"
                                + " key; Weir ignores it"), warnings::toString),
                () -> assertTrue(warnings.contains(
                        "pipedag.yaml: technical_setups.default.table_store.args.print_sql is a Python-specific"
                                + " pipedag key; Weir ignores it"), warnings::toString),
                () -> assertTrue(warnings.stream().anyMatch(w -> w.startsWith(
                        "pipedag.yaml: technical_setups.default.lock_manager.class names the Python class"
                                + " pydiverse.pipedag.backend.lock.DatabaseLockManager; Weir ignores it")),
                        warnings::toString),
                () -> assertEquals(8, warnings.size(), warnings::toString));
    }

    @Test
    void eachInstanceHasItsOwnInstanceId() {
        assertEquals("full", config.instance("full").instanceId());
        assertEquals("midi", config.instance("midi").instanceId());
        assertEquals("mini", config.instance("mini").instanceId());
    }

    @Test
    void schemaPrefixCarriesTheInstanceId() {
        assertEquals("full_", config.instance("full").tableStore().schemaPrefix());
        assertEquals("mini_", config.instance("mini").tableStore().schemaPrefix());
    }

    @Test
    void attrsAreInheritedFromAnyAndOverriddenPerInstance() {
        InstanceConfig full = config.instance("full");
        InstanceConfig midi = config.instance("midi");
        InstanceConfig mini = config.instance("mini");
        assertFalse(full.attrs().getBoolean("copy_filtered_input"));
        assertFalse(full.attrs().hasPath("copy_filter_cnt"));
        assertTrue(midi.attrs().getBoolean("copy_filtered_input"));
        assertEquals(2, midi.attrs().getInt("copy_filter_cnt"));
        assertEquals(1, mini.attrs().getInt("copy_filter_cnt"));
        assertEquals("full", mini.attr("copy_source").orElseThrow());
    }

    @Test
    void technicalSetupSettingsApplyToEveryInstance() {
        InstanceConfig mini = config.instance("mini");
        assertTrue(mini.failFast());
        assertEquals(InstanceConfig.CacheValidation.NORMAL, mini.cacheValidation());
        assertEquals(Engine.SEQUENTIAL, mini.orchestration().engine());
        assertEquals("data_pipeline", mini.pipelineName());
        assertEquals("pipedag.yaml: instances.mini", mini.source());
    }

    @Test
    void urlAttrsFileFillsThePostgresUrl() {
        StoreSettings store = config.instance("mini").tableStore();
        assertEquals("postgres_instances", store.connectionName());
        assertEquals("postgres", store.kind());
        assertEquals("postgresql://weir_user:s3cr3t-Pa55@127.0.0.1:6543/pipedag", store.args().getString("url"));
        assertEquals("127.0.0.1", store.args().getString("host"));
        assertEquals(6543, store.args().getInt("port"));
        assertEquals("pipedag", store.args().getString("database"));
        assertEquals("weir_user", store.args().getString("user"));
        assertEquals("s3cr3t-Pa55", store.args().getString("password"));
        assertFalse(store.args().hasPath("url_attrs_file"));
        assertEquals("pipedag.yaml: instances.mini.table_store", store.origin());
    }

    @Test
    void pythonOnlyStoreArgumentsDoNotReachTheStore() {
        StoreSettings store = config.instance("mini").tableStore();
        assertFalse(store.args().hasPath("print_sql"));
        assertFalse(store.args().hasPath("create_database_if_not_exists"));
    }

    @Test
    void blobsOfEachInstanceLiveInTheirOwnDirectory() {
        assertEquals(Path.of("/tmp/pipedag/blobs/mini"), config.instance("mini").blobStoreDir());
        assertEquals(Path.of("/tmp/pipedag/blobs/full"), config.instance("full").blobStoreDir());
    }

    @Test
    void workDirDefaultsToDotWeirUnderTheWorkingDirectory() {
        assertEquals(Path.of("/work/project/.weir/midi"), config.instance("midi").workDir());
    }

    @Test
    void hoconVersionGivesEqualInstances() {
        WeirConfig hocon = seedLoader().fromResource("pipedag.conf");
        assertEquals(config.warnings().size(), hocon.warnings().size());
        for (String name : config.instanceNames()) {
            InstanceConfig fromYaml = config.instance(name);
            InstanceConfig fromHocon = hocon.instance(name);
            assertEquals(withoutOrigin(fromYaml), withoutOrigin(fromHocon), name);
        }
    }

    /** The instance with its file name taken out, which differs between the two files by design. */
    private static InstanceConfig withoutOrigin(InstanceConfig c) {
        Map<String, StoreSettings> stores = new java.util.HashMap<>();
        c.tableStores().forEach((k, s) -> stores.put(k, withoutOrigin(s)));
        return new InstanceConfig(c.pipelineName(), c.instanceName(), c.instanceId(), withoutOrigin(c.tableStore()),
                stores, c.blobStoreDir(), c.workDir(), c.cacheValidation(), c.orchestration(), c.failFast(),
                c.inline(), c.lockTimeout(), c.retry(), c.attrs(), c.perUser(), "-");
    }

    private static StoreSettings withoutOrigin(StoreSettings s) {
        return new StoreSettings(s.instanceName(), s.instanceId(), s.connectionName(), s.kind(), s.args(),
                s.workDir(), "-");
    }
}
