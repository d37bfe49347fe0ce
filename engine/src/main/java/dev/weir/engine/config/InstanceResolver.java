package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.weir.engine.config.InstanceConfig.CacheValidation;
import dev.weir.engine.config.InstanceConfig.CacheValidation.Mode;
import dev.weir.engine.config.InstanceConfig.InlineMode;
import dev.weir.engine.config.InstanceConfig.LocalTableCache;
import dev.weir.engine.config.InstanceConfig.Orchestration;
import dev.weir.engine.config.InstanceConfig.Orchestration.Engine;
import dev.weir.engine.config.InstanceConfig.RetryPolicy;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one instance section into an {@link InstanceConfig}: merges it over {@code __any__}, its
 * technical setup and Weir's defaults, derives the instance id, substitutes placeholders, reads
 * attrs files, and resolves table stores and the blob directory. One resolver per loaded
 * configuration; it keeps no state between calls.
 */
final class InstanceResolver {

    private static final Logger log = LoggerFactory.getLogger(InstanceResolver.class);
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]*");
    private static final String DEFAULTS_KEY = "weir.pipeline-defaults";

    /** An instance, and the secret values met while resolving it (for masking its description). */
    record Resolution(InstanceConfig instance, Secrets secrets) {
    }

    /** Everything outside the file that resolution depends on. */
    record Context(Map<String, String> environment, String userName, Path workingDirectory, Path configDirectory,
            int availableProcessors) {
        Context {
            environment = Map.copyOf(environment);
        }
    }

    private final String file;
    private final Config root;
    private final Config defaults;
    private final Context context;

    InstanceResolver(String file, Config root, Config defaults, Context context) {
        this.file = file;
        this.root = root;
        this.defaults = defaults;
        this.context = context;
    }

    /** The instance names, {@code __any__} excluded, sorted. */
    List<String> instanceNames() {
        List<String> names = new ArrayList<>(new TreeSet<>(instances().keySet()));
        names.remove(ConfigSchema.ANY_INSTANCE);
        return List.copyOf(names);
    }

    /** The keys of {@code table_store_connections}, sorted. */
    List<String> tableStoreConnectionNames() {
        if (!root.hasPath("table_store_connections")
                || !(root.getValue("table_store_connections") instanceof com.typesafe.config.ConfigObject section)) {
            return List.of();
        }
        return List.copyOf(new TreeSet<>(section.keySet()));
    }

    /** The values of environment variables named like secrets ({@code PGPASSWORD}, {@code API_TOKEN}), to mask. */
    List<String> secretEnvironmentValues() {
        return context.environment().entrySet().stream()
                .filter(e -> Secrets.isSecretName(e.getKey()) && e.getValue() != null && e.getValue().length() >= 3)
                .map(Map.Entry::getValue).toList();
    }

    /**
     * @param connection the table store connection to select instead of the configured one, or null
     */
    Resolution resolve(String name, boolean perUserRequested, String connection) {
        Secrets secrets = new Secrets();
        LayeredConfig raw = LayeredConfig.merge(file, layers(name), secrets);

        boolean perUser = perUserRequested || raw.bool("per_user");
        String instanceId = instanceId(name, raw, perUser, secrets);
        Placeholders placeholders = new Placeholders(file, context.environment(), Map.of("instance_id", instanceId),
                secrets);

        Config plain = raw.config().withoutPath("attrs").withoutPath("table_store").withoutPath("blob_store")
                .withoutPath("technical_setup").withoutPath("instance_id");
        LayeredConfig settings = raw.withConfig(placeholders.applyAll(ignoringPythonKeys(plain), raw::keyOf, true));

        Path workDir = context.workingDirectory().resolve(settings.string("work_dir")).normalize();
        Config attrs = attrs(raw, settings, placeholders, secrets);
        Path blobStoreDir = blobStoreDir(raw, placeholders, instanceId, workDir);

        TableStoreResolver stores = new TableStoreResolver(file, root, raw, placeholders, secrets,
                context.configDirectory());
        if (connection != null && !stores.connections().containsKey(connection)) {
            throw new ConfigError(file, "table_store.table_store_connection", connection,
                    "one of the table_store_connections " + new TreeSet<>(stores.connections().keySet()));
        }
        String selected = connection != null ? connection : selectedConnection(raw, stores);
        Map<String, StoreSettings> tableStores = new LinkedHashMap<>();
        StoreSettings tableStore = stores.resolve(selected, true, name, instanceId, workDir);
        tableStores.put(selected, tableStore);
        for (String other : new TreeSet<>(stores.connections().keySet())) {
            if (!other.equals(selected)) {
                try {
                    tableStores.put(other, stores.resolve(other, false, name, instanceId, workDir));
                } catch (ConfigError e) {
                    // Another connection may need variables or files only its own users have.
                    log.debug("Table store connection '{}' is not available to instance '{}': {}", other, name,
                            e.getMessage());
                }
            }
        }

        InstanceConfig.Timeouts timeouts = new InstanceConfig.Timeouts(settings.positiveDuration("task_timeout"),
                settings.positiveDuration("chunk_timeout"), settings.positiveDuration("statement_timeout"));
        tableStore = withStatementTimeout(tableStore, timeouts.statement());
        tableStores.replaceAll((connectionName, store) -> withStatementTimeout(store, timeouts.statement()));
        InstanceConfig instance = new InstanceConfig(pipelineName(), name, instanceId, tableStore, tableStores,
                blobStoreDir, workDir, cacheValidation(settings), orchestration(settings), settings.bool("fail_fast"),
                settings.choice("inline", InlineMode::parse,
                        "one of default-true, default-false, force-true, force-false"),
                settings.positiveDuration("lock_timeout"), retry(settings), attrs, perUser, file + ": instances." + name,
                timeouts, localTableCache(raw, placeholders, instanceId, workDir), memory(settings));
        return new Resolution(instance, secrets);
    }

    /** {@code memory.run}, {@code memory.task} and {@code memory.chunk}, each a size, checked against each other. */
    private InstanceConfig.Memory memory(LayeredConfig settings) {
        long run = settings.has("memory.run") && settings.string("memory.run").trim().equalsIgnoreCase("auto")
                ? InstanceConfig.Memory.autoRun() : settings.bytesOrUnlimited("memory.run");
        long task = settings.bytesOrUnlimited("memory.task");
        long chunk = settings.bytesOrUnlimited("memory.chunk");
        task = task == Long.MAX_VALUE ? run : task;
        chunk = chunk == Long.MAX_VALUE ? task : chunk;
        if (task > run) {
            throw new ConfigError(file, settings.keyOf("memory.task"), InstanceConfig.Memory.describe(task),
                    "at most memory.run (" + InstanceConfig.Memory.describe(run) + ", " + settings.keyOf("memory.run")
                            + "): a run's budget holds its tasks'");
        }
        if (chunk > task) {
            throw new ConfigError(file, settings.keyOf("memory.chunk"), InstanceConfig.Memory.describe(chunk),
                    "at most memory.task (" + InstanceConfig.Memory.describe(task) + ", "
                            + settings.keyOf("memory.task") + "): a task's budget holds its chunks'");
        }
        return new InstanceConfig.Memory(run, task, chunk);
    }

    /**
     * The store's arguments with the instance's {@code statement_timeout}, unless the connection's own
     * arguments set one: the store applies it to every statement it runs.
     */
    private static StoreSettings withStatementTimeout(StoreSettings store, java.time.Duration timeout) {
        if (store.args().hasPath("statement_timeout")) {
            return store;
        }
        com.typesafe.config.Config args = store.args().withFallback(com.typesafe.config.ConfigFactory.parseMap(
                Map.of("statement_timeout", timeout.toMillis() + "ms")));
        return new StoreSettings(store.instanceName(), store.instanceId(), store.connectionName(), store.kind(), args,
                store.workDir(), store.origin());
    }

    String pipelineName() {
        if (root.hasPath("name")) {
            ConfigValue value = root.getValue("name");
            if (value.valueType() != ConfigValueType.STRING) {
                throw new ConfigError(file, "name", String.valueOf(value.unwrapped()), "the pipeline's name (text)");
            }
            return (String) value.unwrapped();
        }
        String stem = Path.of(file).getFileName() == null ? file : Path.of(file).getFileName().toString();
        int dot = stem.lastIndexOf('.');
        return dot > 0 ? stem.substring(0, dot) : stem;
    }

    private ConfigObject instances() {
        if (!root.hasPath("instances") || root.getObject("instances").isEmpty()) {
            throw ConfigError.at(file, "instances", "is missing; expected at least one instance, e.g."
                    + " instances: { mini: { instance_id: mini } }");
        }
        return root.getObject("instances");
    }

    private List<LayeredConfig.Layer> layers(String name) {
        ConfigObject instances = instances();
        if (name.equals(ConfigSchema.ANY_INSTANCE) || !(instances.get(name) instanceof ConfigObject own)) {
            throw new ConfigError(file, "instances", name, "one of the configured instances " + instanceNames());
        }
        List<LayeredConfig.Layer> layers = new ArrayList<>();
        layers.add(new LayeredConfig.Layer("instances." + name, own.toConfig()));
        Config merged = own.toConfig();
        if (instances.get(ConfigSchema.ANY_INSTANCE) instanceof ConfigObject any) {
            layers.add(new LayeredConfig.Layer("instances." + ConfigSchema.ANY_INSTANCE, any.toConfig()));
            merged = merged.withFallback(any);
        }
        technicalSetup(merged, name).ifPresent(layers::add);
        layers.add(new LayeredConfig.Layer(DEFAULTS_KEY, defaults));
        return layers;
    }

    /** The instance's technical setup: the one it names, else one called {@code default} if there is one. */
    private Optional<LayeredConfig.Layer> technicalSetup(Config instance, String name) {
        ConfigObject setups = root.hasPath("technical_setups") ? root.getObject("technical_setups")
                : ConfigFactory.empty().root();
        String setup;
        if (instance.hasPath("technical_setup")) {
            setup = String.valueOf(instance.getValue("technical_setup").unwrapped());
            if (!(setups.get(setup) instanceof ConfigObject)) {
                throw new ConfigError(file, "instances." + name + ".technical_setup", setup,
                        "one of the technical_setups " + new TreeSet<>(setups.keySet()));
            }
        } else if (setups.get("default") instanceof ConfigObject) {
            setup = "default";
        } else {
            return Optional.empty();
        }
        return Optional.of(new LayeredConfig.Layer("technical_setups." + setup,
                ((ConfigObject) setups.get(setup)).toConfig()));
    }

    private String instanceId(String name, LayeredConfig raw, boolean perUser, Secrets secrets) {
        Placeholders environmentOnly = new Placeholders(file, context.environment(), Map.of(), secrets);
        String id = raw.optionalString("instance_id")
                .map(text -> environmentOnly.apply(raw.keyOf("instance_id"), text, true))
                .orElse(name);
        if (!INSTANCE_ID.matcher(id).matches()) {
            throw raw.wrong("instance_id", "an instance id of letters, digits, '_' and '-' (it becomes part of"
                    + " schema names and paths)", null);
        }
        if (!perUser) {
            return id;
        }
        String user = context.userName().replaceAll("[^A-Za-z0-9_]", "_");
        if (user.isEmpty()) {
            throw ConfigError.at(file, raw.keyOf("per_user"), "is set but the user name is empty; set the system"
                    + " property user.name");
        }
        return id + "_" + user;
    }

    private Config ignoringPythonKeys(Config config) {
        Config result = config;
        for (String key : config.root().keySet()) {
            if (!ConfigSchema.SETUP.contains(key)) {
                result = result.withoutPath(ConfigUtil.joinPath(key));
            }
        }
        for (String key : List.of("orchestration.args", "lock_manager")) {
            result = result.withoutPath(key);
        }
        return result;
    }

    /**
     * {@code value} (at {@code path} below {@code attrs}), and everything in it, with the origin "file: key" of
     * where it was written; nulls and empty sections stay as they are.
     */
    private ConfigValue located(ConfigValue value, List<String> path, LayeredConfig raw) {
        String origin = file + ": " + raw.keyOf(ConfigUtil.joinPath(
                java.util.stream.Stream.concat(java.util.stream.Stream.of("attrs"), path.stream()).toList()));
        if (value instanceof ConfigObject object) {
            Map<String, Object> children = new LinkedHashMap<>();
            object.forEach((key, child) -> {
                List<String> below = new ArrayList<>(path);
                below.add(key);
                children.put(key, located(child, below, raw));
            });
            return ConfigValueFactory.fromMap(children, origin);
        }
        return ConfigValueFactory.fromAnyRef(value.unwrapped(), origin);
    }

    private Config attrs(LayeredConfig raw, LayeredConfig settings, Placeholders placeholders, Secrets secrets) {
        Config attrs = ConfigFactory.empty();
        if (raw.config().hasPath("attrs")) {
            if (!(raw.config().getValue("attrs") instanceof ConfigObject object)) {
                throw raw.wrong("attrs", "a section (a mapping of keys to values)", null);
            }
            attrs = placeholders.applyAll(object.toConfig(), path -> raw.keyOf("attrs." + path), false);
            // each value says where it was written: a task reading one as the wrong type (attrs().getInt)
            // is told "weir.yaml: instances.__any__.attrs.n: n has type STRING rather than NUMBER"
            attrs = ((ConfigObject) located(attrs.root(), List.of(), raw)).toConfig();
        }
        Optional<String> attrsFile = settings.optionalString("attrs_file");
        if (attrsFile.isPresent()) {
            Path path = context.configDirectory().resolve(attrsFile.get());
            Config fromFile = ConfigReader.readSecretsFile(path, file, settings.keyOf("attrs_file"));
            fromFile.entrySet().forEach(e -> {
                if (e.getValue().unwrapped() != null) {
                    secrets.add(String.valueOf(e.getValue().unwrapped()));
                }
            });
            // The attrs file is the more specific, local source (often not under version control).
            attrs = fromFile.withFallback(attrs);
        }
        return attrs;
    }

    /**
     * {@code table_store.local_table_cache}, with pipedag's defaults: when the section is there, inputs
     * are stored and read from it, outputs are not stored; its files go under {@code args.base_path}
     * (with {@code {instance_id}} appended when not in it: instances never share files), by default
     * {@code work_dir}/local_table_cache.
     */
    private LocalTableCache localTableCache(LayeredConfig raw, Placeholders placeholders, String instanceId,
                                            Path workDir) {
        String at = "table_store.local_table_cache";
        if (!raw.config().hasPath(at)) {
            return LocalTableCache.OFF;
        }
        LayeredConfig cache = raw;
        boolean storeInput = !cache.has(at + ".store_input") || cache.bool(at + ".store_input");
        boolean storeOutput = cache.has(at + ".store_output") && cache.bool(at + ".store_output");
        boolean useStored = !cache.has(at + ".use_stored_input_as_cache")
                || cache.bool(at + ".use_stored_input_as_cache");
        Path base = workDir.resolve("local_table_cache");
        if (cache.has(at + ".args.base_path")) {
            String written = cache.string(at + ".args.base_path");
            Path path = context.workingDirectory().resolve(placeholders.apply(raw.keyOf(at + ".args.base_path"),
                    written, true)).normalize();
            base = written.contains("{instance_id}") ? path : path.resolve(instanceId);
        }
        return storeInput || storeOutput || useStored ? new LocalTableCache(storeInput, storeOutput, useStored, base)
                : LocalTableCache.OFF;
    }

    private Path blobStoreDir(LayeredConfig raw, Placeholders placeholders, String instanceId, Path workDir) {
        Config blob = raw.config().hasPath("blob_store") ? raw.config().getConfig("blob_store") : ConfigFactory.empty();
        Config args = blob.hasPath("args") ? blob.getConfig("args") : ConfigFactory.empty();
        String argsKey = raw.keyOf("blob_store.args.base_path");
        if (blob.hasPath("blob_store_connection")) {
            String name = String.valueOf(blob.getValue("blob_store_connection").unwrapped());
            ConfigObject connections = root.hasPath("blob_store_connections") ? root.getObject("blob_store_connections")
                    : ConfigFactory.empty().root();
            if (!(connections.get(name) instanceof ConfigObject connection)) {
                throw new ConfigError(file, raw.keyOf("blob_store.blob_store_connection"), name,
                        "one of the blob_store_connections " + new TreeSet<>(connections.keySet()));
            }
            Config connectionConfig = connection.toConfig();
            if (!args.hasPath("base_path") && connectionConfig.hasPath("args.base_path")) {
                argsKey = "blob_store_connections." + name + ".args.base_path";
            }
            if (connectionConfig.hasPath("args")) {
                args = args.withFallback(connectionConfig.getConfig("args"));
            }
        }
        if (!args.hasPath("base_path")) {
            return workDir.resolve("blobs");
        }
        String written = String.valueOf(args.getValue("base_path").unwrapped());
        Path base = context.workingDirectory().resolve(placeholders.apply(argsKey, written, true)).normalize();
        // Instances must never share blobs: a base path without {instance_id} gets it appended.
        return written.contains("{instance_id}") ? base : base.resolve(instanceId);
    }

    private String selectedConnection(LayeredConfig raw, TableStoreResolver stores) {
        if (!raw.config().hasPath("table_store")) {
            throw ConfigError.at(file, "instances", "no table_store is configured for this instance; add"
                    + " table_store: { table_store_connection: NAME } to its technical setup or to instances.__any__");
        }
        if (!raw.config().hasPath("table_store.table_store_connection")) {
            return TableStoreResolver.INLINE_CONNECTION;
        }
        String name = raw.string("table_store.table_store_connection");
        if (!stores.connections().containsKey(name)) {
            throw raw.wrong("table_store.table_store_connection", "one of the table_store_connections "
                    + new TreeSet<>(stores.connections().keySet()), null);
        }
        return name;
    }

    private CacheValidation cacheValidation(LayeredConfig settings) {
        Mode mode = settings.choice("cache_validation.mode", InstanceResolver::parseMode,
                "one of normal, assert-no-fresh-input, ignore-fresh-input, force-fresh-input, force-cache-invalid"
                        + " (snake_case as in pipedag is accepted too)");
        boolean disableCacheFunction = settings.bool("cache_validation.disable_cache_function");
        if (disableCacheFunction && mode == Mode.NORMAL) {
            throw ConfigError.at(file, settings.keyOf("cache_validation.disable_cache_function"), "is true, which"
                    + " cache_validation.mode normal does not allow (normal mode calls cache functions); use mode"
                    + " ignore-fresh-input, or set disable_cache_function to false");
        }
        return new CacheValidation(mode, settings.bool("cache_validation.ignore_task_version"), disableCacheFunction);
    }

    private static Optional<Mode> parseMode(String text) {
        // pipedag spells the last mode force_caches_invalid.
        String normalized = text.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        return normalized.equals("force-caches-invalid") ? Optional.of(Mode.FORCE_CACHE_INVALID) : Mode.parse(text);
    }

    private Orchestration orchestration(LayeredConfig settings) {
        Engine engine = null;
        if (settings.has("orchestration.class")
                && settings.rank("orchestration.class") < settings.rank("orchestration.engine")) {
            engine = ConfigSchema.engineOfClass(settings.string("orchestration.class")).orElse(null);
        }
        if (engine == null) {
            engine = settings.choice("orchestration.engine",
                    text -> switch (text.trim().toLowerCase(Locale.ROOT)) {
                        case "sequential" -> Optional.of(Engine.SEQUENTIAL);
                        case "parallel" -> Optional.of(Engine.PARALLEL);
                        default -> Optional.empty();
                    }, "sequential or parallel");
        }
        int parallelism = settings.string("orchestration.max_parallelism").trim().equalsIgnoreCase("auto")
                ? context.availableProcessors()
                : settings.positiveInt("orchestration.max_parallelism");
        return new Orchestration(engine, parallelism);
    }

    private RetryPolicy retry(LayeredConfig settings) {
        int attempts = settings.positiveInt("retry.max_attempts");
        Duration min = settings.duration("retry.min_backoff");
        Duration max = settings.duration("retry.max_backoff");
        if (min.compareTo(max) > 0) {
            throw settings.wrong("retry.min_backoff", "at most retry.max_backoff (" + max + ")", null);
        }
        return new RetryPolicy(attempts, min, max);
    }
}
