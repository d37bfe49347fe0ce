package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.weir.engine.config.InstanceConfig.Orchestration.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The keys a configuration may hold, checked once when it is loaded. A key pipedag reads but Weir
 * does not (Python class names, Kroki, auto_table, …) gives a warning and is ignored; any other
 * unknown key is a typo and fails with the closest known key suggested. Values are checked later,
 * when an instance is resolved, because they may be inherited and substituted.
 */
final class ConfigSchema {

    static final String ANY_INSTANCE = "__any__";

    private static final Set<String> ROOT = Set.of("name", "table_store_connections", "blob_store_connections",
            "technical_setups", "instances");
    private static final Set<String> ROOT_PIPEDAG_ONLY = Set.of("flows", "strict_instance_lookup");

    /** Keys of a technical setup; an instance may hold them too. */
    static final Set<String> SETUP = Set.of("instance_id", "cache_validation", "table_store", "blob_store",
            "lock_manager", "orchestration", "fail_fast", "inline", "lock_timeout", "task_timeout",
            "chunk_timeout", "statement_timeout", "retry", "per_user", "work_dir",
            "attrs", "attrs_file", "memory");
    private static final Set<String> INSTANCE_ONLY = Set.of("technical_setup");
    private static final Set<String> SETUP_PYTHON = Set.of("network_interface", "auto_table", "auto_blob",
            "disable_kroki", "kroki_url", "strict_result_get_locking");
    private static final Set<String> SETUP_PIPEDAG_ONLY = Set.of("stage_commit_technique", "per_user_template");

    private static final Set<String> CACHE_VALIDATION = Set.of("mode", "disable_cache_function",
            "ignore_task_version");
    private static final Set<String> TABLE_STORE = Set.of("table_store_connection", "kind", "args", "class",
            "local_table_cache");
    private static final Set<String> TABLE_STORE_PIPEDAG_ONLY = Set.of("hook_args");
    private static final Set<String> LOCAL_TABLE_CACHE = Set.of("store_input", "store_output",
            "use_stored_input_as_cache", "class", "args");
    private static final Set<String> LOCAL_TABLE_CACHE_ARGS = Set.of("base_path");
    private static final Set<String> BLOB_STORE = Set.of("blob_store_connection", "args", "class");
    private static final Set<String> LOCK_MANAGER = Set.of("class");
    private static final Set<String> LOCK_MANAGER_PYTHON = Set.of("args");
    private static final Set<String> ORCHESTRATION = Set.of("engine", "max_parallelism", "class");
    private static final Set<String> ORCHESTRATION_PYTHON = Set.of("args");
    private static final Set<String> RETRY = Set.of("max_attempts", "min_backoff", "max_backoff");
    private static final Set<String> MEMORY = Set.of("run", "task", "chunk");
    private static final Set<String> TABLE_CONNECTION = Set.of("args", "kind", "class");
    private static final Set<String> BLOB_CONNECTION = Set.of("args", "class");

    /** Table store arguments only pipedag's SQLAlchemy store reads; removed before a store sees them. */
    static final Set<String> TABLE_ARGS_PYTHON = Set.of("create_database_if_not_exists", "print_materialize",
            "print_sql");

    static final String SQL_TABLE_STORE = "pydiverse.pipedag.backend.table.SQLTableStore";
    static final String FILE_BLOB_STORE = "pydiverse.pipedag.backend.blob.FileBlobStore";
    static final String PARQUET_TABLE_CACHE = "pydiverse.pipedag.backend.table_cache.ParquetTableCache";

    private final String file;
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    private ConfigSchema(String file) {
        this.file = file;
    }

    /** What {@link #check} found: warnings for the user, and INFO notes on translated pipedag keys. */
    record Findings(List<String> warnings, List<String> notes) {
        Findings {
            warnings = List.copyOf(warnings);
            notes = List.copyOf(notes);
        }
    }

    /**
     * Checks every key of a configuration.
     *
     * @throws ConfigError on an unknown key or a section that is not a mapping
     */
    static Findings check(Config root, String file) {
        ConfigSchema schema = new ConfigSchema(file);
        schema.checkRoot(root.root());
        return new Findings(schema.warnings, schema.notes);
    }

    /** The engine a pipedag orchestration class stands for, if it is one Weir knows. */
    static Optional<Engine> engineOfClass(String className) {
        if (className.endsWith(".SequentialEngine")) {
            return Optional.of(Engine.SEQUENTIAL);
        }
        if (className.endsWith(".DaskEngine") || className.contains(".PrefectEngine")
                || className.contains(".PrefectOneEngine") || className.contains(".PrefectTwoEngine")) {
            return Optional.of(Engine.PARALLEL);
        }
        return Optional.empty();
    }

    private void checkRoot(ConfigObject root) {
        checkKeys(root, "", ROOT, Set.of(), ROOT_PIPEDAG_ONLY, "the top level");
        eachSection(root, "table_store_connections", (c, key) -> {
            checkKeys(c, key, TABLE_CONNECTION, Set.of(), Set.of(), "a table store connection");
            checkClass(c, key, Set.of(SQL_TABLE_STORE), "Weir takes the store kind from 'kind' or the url");
            checkTableArgs(c, key);
        });
        eachSection(root, "blob_store_connections", (c, key) -> {
            checkKeys(c, key, BLOB_CONNECTION, Set.of(), Set.of(), "a blob store connection");
            checkClass(c, key, Set.of(FILE_BLOB_STORE), "Weir writes blobs as files under 'args.base_path'");
        });
        eachSection(root, "technical_setups", (s, key) -> checkSetup(s, key, SETUP, "a technical setup"));
        Set<String> instanceKeys = Stream.concat(SETUP.stream(), INSTANCE_ONLY.stream()).collect(Collectors.toSet());
        eachSection(root, "instances", (s, key) -> checkSetup(s, key, instanceKeys, "an instance"));
    }

    private void checkSetup(ConfigObject setup, String key, Set<String> known, String what) {
        checkKeys(setup, key, known, SETUP_PYTHON, SETUP_PIPEDAG_ONLY, what);
        section(setup, key, "cache_validation").ifPresent(s -> checkKeys(s, key + ".cache_validation",
                CACHE_VALIDATION, Set.of(), Set.of(), "cache_validation"));
        section(setup, key, "memory").ifPresent(s -> checkKeys(s, key + ".memory", MEMORY, Set.of(), Set.of(),
                "memory"));
        section(setup, key, "table_store").ifPresent(s -> {
            String at = key + ".table_store";
            checkKeys(s, at, TABLE_STORE, Set.of(), TABLE_STORE_PIPEDAG_ONLY, "table_store");
            checkClass(s, at, Set.of(SQL_TABLE_STORE), "Weir takes the store kind from 'kind' or the url");
            checkTableArgs(s, at);
            section(s, at, "local_table_cache").ifPresent(c -> {
                String cacheAt = at + ".local_table_cache";
                checkKeys(c, cacheAt, LOCAL_TABLE_CACHE, Set.of(), Set.of(), "local_table_cache");
                checkClass(c, cacheAt, Set.of(PARQUET_TABLE_CACHE), "Weir keeps the local table cache as Parquet files");
                section(c, cacheAt, "args").ifPresent(a -> checkKeys(a, cacheAt + ".args", LOCAL_TABLE_CACHE_ARGS,
                        Set.of(), Set.of(), "local_table_cache.args"));
            });
        });
        section(setup, key, "blob_store").ifPresent(s -> {
            checkKeys(s, key + ".blob_store", BLOB_STORE, Set.of(), Set.of(), "blob_store");
            checkClass(s, key + ".blob_store", Set.of(FILE_BLOB_STORE),
                    "Weir writes blobs as files under 'args.base_path'");
        });
        section(setup, key, "lock_manager").ifPresent(s -> {
            checkKeys(s, key + ".lock_manager", LOCK_MANAGER, LOCK_MANAGER_PYTHON, Set.of(), "lock_manager");
            checkClass(s, key + ".lock_manager", Set.of(), "Weir's table store takes the locks");
        });
        section(setup, key, "orchestration").ifPresent(s -> {
            checkKeys(s, key + ".orchestration", ORCHESTRATION, ORCHESTRATION_PYTHON, Set.of(), "orchestration");
            checkEngineClass(s, key + ".orchestration");
        });
        section(setup, key, "retry").ifPresent(s -> checkKeys(s, key + ".retry", RETRY, Set.of(), Set.of(), "retry"));
    }

    private void checkTableArgs(ConfigObject store, String key) {
        section(store, key, "args").ifPresent(args -> {
            for (String arg : new TreeSet<>(args.keySet())) {
                if (TABLE_ARGS_PYTHON.contains(arg) || arg.startsWith("pydiverse")) {
                    warnings.add(pythonKey(key + ".args." + arg));
                }
            }
        });
    }

    private void checkClass(ConfigObject section, String key, Set<String> translated, String instead) {
        className(section, key).ifPresent(name -> {
            if (!translated.contains(name)) {
                warnings.add(file + ": " + key + ".class names the Python class " + name + "; Weir ignores it ("
                        + instead + ")");
            }
        });
    }

    private void checkEngineClass(ConfigObject orchestration, String key) {
        className(orchestration, key).ifPresent(name -> {
            Optional<Engine> engine = engineOfClass(name);
            if (engine.isEmpty()) {
                warnings.add(file + ": " + key + ".class names the Python class " + name
                        + "; Weir ignores it (set 'engine' to sequential or parallel)");
            } else if (engine.get() == Engine.PARALLEL) {
                notes.add(file + ": " + key + ".class " + name + " runs on Weir's parallel engine");
            }
        });
    }

    private Optional<String> className(ConfigObject section, String key) {
        ConfigValue value = section.get("class");
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            return Optional.empty();
        }
        if (value.valueType() != ConfigValueType.STRING) {
            throw new ConfigError(file, key + ".class", String.valueOf(value.unwrapped()),
                    "a fully qualified pipedag class name (a string)");
        }
        return Optional.of((String) value.unwrapped());
    }

    private void checkKeys(ConfigObject section, String prefix, Set<String> known, Set<String> python,
            Set<String> pipedagOnly, String what) {
        for (String k : new TreeSet<>(section.keySet())) {
            String key = prefix.isEmpty() ? k : prefix + "." + k;
            if (known.contains(k)) {
                continue;
            }
            if (python.contains(k) || k.startsWith("pydiverse")) {
                warnings.add(pythonKey(key));
            } else if (pipedagOnly.contains(k)) {
                warnings.add(file + ": " + key + " is a pipedag key Weir does not support; Weir ignores it");
            } else {
                Set<String> all = new TreeSet<>(known);
                all.addAll(python);
                all.addAll(pipedagOnly);
                throw ConfigError.at(file, key, "is not a known key of " + what
                        + KeySuggestions.closest(k, all).map(s -> "; did you mean '" + s + "'?").orElse(".")
                        + " Known keys: " + new TreeSet<>(known));
            }
        }
    }

    private String pythonKey(String key) {
        return file + ": " + key + " is a Python-specific pipedag key; Weir ignores it";
    }

    private void eachSection(ConfigObject parent, String key, SectionVisitor visitor) {
        section(parent, "", key).ifPresent(group -> {
            for (String name : new TreeSet<>(group.keySet())) {
                String at = key + "." + name;
                section(group, key, name).ifPresent(s -> visitor.visit(s, at));
            }
        });
    }

    /** The named sub-section, empty when absent or null; a section that is not a mapping fails. */
    private Optional<ConfigObject> section(ConfigObject parent, String prefix, String name) {
        ConfigValue value = parent.get(name);
        if (value == null || value.valueType() == ConfigValueType.NULL) {
            return Optional.empty();
        }
        if (value instanceof ConfigObject object) {
            return Optional.of(object);
        }
        String key = prefix.isEmpty() ? name : prefix + "." + name;
        boolean list = value.valueType() == ConfigValueType.LIST;
        throw new ConfigError(file, key, list ? null : Secrets.maskUrlPasswords(String.valueOf(value.unwrapped())),
                "a section (a mapping of keys to values)" + (list ? ", found a list" : ""));
    }

    @FunctionalInterface
    private interface SectionVisitor {
        void visit(ConfigObject section, String key);
    }
}
