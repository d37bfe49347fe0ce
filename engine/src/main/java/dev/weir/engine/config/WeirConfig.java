package dev.weir.engine.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded pipeline configuration: pipedag's layout ({@code table_store_connections},
 * {@code technical_setups}, {@code instances} with {@code __any__}) read from HOCON or YAML, its keys
 * checked once at load. {@link #instance} resolves one instance into an {@link InstanceConfig}.
 *
 * <pre>{@code
 * WeirConfig config = WeirConfig.load(Path.of("pipedag.yaml"));
 * InstanceConfig mini = config.instance("mini");
 * }</pre>
 *
 * <p>The static methods read the real environment, {@code user.name} and the current directory;
 * {@link #loader()} lets tests and embedders supply them. Immutable and thread-safe.
 */
public final class WeirConfig {

    private static final Logger log = LoggerFactory.getLogger(WeirConfig.class);

    /** The text formats a configuration may be written in. */
    public enum Syntax { HOCON, YAML }

    private final String file;
    private final List<String> warnings;
    private final InstanceResolver resolver;

    private WeirConfig(String file, Config root, Config defaults, InstanceResolver.Context context) {
        this.file = file;
        ConfigSchema.Findings findings = ConfigSchema.check(root, file);
        this.warnings = findings.warnings();
        this.resolver = new InstanceResolver(file, root, defaults, context);
        resolver.pipelineName(); // checks the name's type now rather than on first use
        warnings.forEach(log::warn);
        findings.notes().forEach(log::info);
    }

    /** Reads a {@code .conf} (HOCON), {@code .yaml} or {@code .yml} file. */
    public static WeirConfig load(Path file) {
        return loader().load(file);
    }

    /** A configuration embedded in another (e.g. {@code application.conf}), its root at pipedag's root. */
    public static WeirConfig fromConfig(Config config, String originName) {
        return loader().fromConfig(config, originName);
    }

    /** Reads a class path resource ending in {@code .conf}, {@code .yaml} or {@code .yml}. */
    public static WeirConfig fromResource(String name) {
        return loader().fromResource(name);
    }

    /** Parses configuration text (for tests); messages name it {@code <string>}. */
    public static WeirConfig parseString(String text, Syntax syntax) {
        return loader().parseString(text, syntax);
    }

    /** A loader whose environment, user and directories can be set. */
    public static Loader loader() {
        return new Loader();
    }

    /** The file (or resource, or origin name) this configuration was read from. */
    public String file() {
        return file;
    }

    /** The pipeline's {@code name}; the file name without its ending when unset. */
    public String pipelineName() {
        return resolver.pipelineName();
    }

    /** The configured instances, {@code __any__} excluded, sorted. */
    public List<String> instanceNames() {
        return resolver.instanceNames();
    }

    /** The configured table store connections ({@code table_store_connections}), sorted. */
    public List<String> tableStoreConnectionNames() {
        return resolver.tableStoreConnectionNames();
    }

    /**
     * What makes a text fit to be shown to a user or written to a log: it replaces the secrets of
     * {@code instance} (values from its attrs file and url_attrs_file, settings named like passwords,
     * secret-named environment variables such as {@code PGPASSWORD}) and URL passwords by {@code ***}.
     * For messages that did not come from Weir's own code, e.g. a driver's error. Resolves the
     * instance once; the function is safe to call from any thread.
     */
    public UnaryOperator<String> masking(InstanceConfig instance) {
        Secrets secrets = resolver.resolve(instance.instanceName(), instance.perUser(),
                instance.tableStore().connectionName()).secrets();
        for (StoreSettings store : instance.tableStores().values()) {
            for (Map.Entry<String, ConfigValue> e : store.args().entrySet()) {
                if (Secrets.isSecretKey(e.getKey()) && e.getValue().unwrapped() != null) {
                    secrets.add(String.valueOf(e.getValue().unwrapped()));
                }
            }
        }
        resolver.secretEnvironmentValues().forEach(secrets::add);
        // no writes after this point: concurrent reads of the set are safe
        return text -> text == null ? null : secrets.mask(null, text);
    }

    /** The text with URL passwords ({@code scheme://user:password@host}, {@code ?password=}) replaced by {@code ***}. */
    public static String maskUrlPasswords(String text) {
        return text == null ? null : Secrets.maskUrlPasswords(text);
    }

    /**
     * One sentence per pipedag key Weir ignores, e.g. {@code pipedag.yaml:
     * technical_setups.default.auto_table is a Python-specific pipedag key; Weir ignores it}. Each was
     * logged once at WARN when the configuration was loaded.
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The named instance, resolved.
     *
     * @throws ConfigError when there is no such instance or one of its values is unusable
     */
    public InstanceConfig instance(String name) {
        return instance(name, false);
    }

    /**
     * The named instance; with {@code perUser} (or {@code per_user: true} in the configuration) its
     * instance id ends in {@code _<user name>}, so that each developer gets private schemas and files.
     */
    public InstanceConfig instance(String name, boolean perUser) {
        Objects.requireNonNull(name, "name is null");
        return resolver.resolve(name, perUser, null).instance();
    }

    /**
     * The named instance on another of the configured table store connections (the command line's
     * {@code --table-store}). Unlike {@link InstanceConfig#withTableStore}, this reports why that
     * connection cannot be resolved (a missing variable or secrets file) rather than leaving it out.
     */
    public InstanceConfig instance(String name, boolean perUser, String tableStoreConnection) {
        Objects.requireNonNull(name, "name is null");
        Objects.requireNonNull(tableStoreConnection, "tableStoreConnection is null");
        return resolver.resolve(name, perUser, tableStoreConnection).instance();
    }

    /**
     * A multi-line description of an instance for logs and {@code --explain}: every setting, store
     * arguments and attrs included, with secrets (keys named like passwords or tokens, values from
     * attrs files and url_attrs files, URL passwords) shown as {@code ***}.
     */
    public String describe(InstanceConfig instance) {
        Secrets secrets = resolver.resolve(instance.instanceName(), instance.perUser(),
                instance.tableStore().connectionName()).secrets();
        StringBuilder out = new StringBuilder();
        out.append("instance ").append(instance.instanceName()).append(" of pipeline ").append(instance.pipelineName())
                .append(" (").append(instance.source()).append(")\n");
        line(out, "instance_id", instance.instanceId());
        line(out, "per_user", instance.perUser());
        line(out, "work_dir", instance.workDir());
        line(out, "blob_store_dir", instance.blobStoreDir());
        line(out, "cache_validation", instance.cacheValidation());
        line(out, "orchestration", instance.orchestration());
        line(out, "fail_fast", instance.failFast());
        line(out, "inline", instance.inline().configName());
        line(out, "lock_timeout", instance.lockTimeout());
        line(out, "task_timeout", instance.timeouts().task());
        line(out, "chunk_timeout", instance.timeouts().chunk());
        line(out, "statement_timeout", instance.timeouts().statement());
        line(out, "retry", instance.retry());
        line(out, "memory", instance.memory());
        line(out, "table_store", instance.tableStore().connectionName());
        for (StoreSettings store : new TreeMap<>(instance.tableStores()).values()) {
            out.append("  table_store_connections.").append(store.connectionName()).append(" (").append(store.kind())
                    .append(")\n");
            values(out, "    ", store.args(), secrets);
        }
        out.append("  attrs\n");
        values(out, "    ", instance.attrs(), secrets);
        return out.toString();
    }

    private static void line(StringBuilder out, String key, Object value) {
        out.append("  ").append(key).append(": ").append(value).append('\n');
    }

    private static void values(StringBuilder out, String indent, Config config, Secrets secrets) {
        for (Map.Entry<String, ConfigValue> e : toMap(config).entrySet()) {
            String value = String.valueOf(e.getValue().unwrapped());
            out.append(indent).append(e.getKey()).append(": ").append(secrets.mask(e.getKey(), value)).append('\n');
        }
    }

    private static Map<String, ConfigValue> toMap(Config config) {
        Map<String, ConfigValue> map = new TreeMap<>();
        config.entrySet().forEach(e -> map.put(e.getKey(), e.getValue()));
        return map;
    }

    @Override
    public String toString() {
        return "WeirConfig(" + file + ", instances " + instanceNames() + ")";
    }

    /**
     * Loads configurations with an injected environment (for {@code {$NAME}}), user name (for
     * per-user instance ids) and working directory (for relative paths). Not thread-safe; the
     * configurations it loads are.
     */
    public static final class Loader {

        private Map<String, String> environment = System.getenv();
        private String userName = System.getProperty("user.name", "");
        private Path workingDirectory = Path.of("").toAbsolutePath();
        private int availableProcessors = Runtime.getRuntime().availableProcessors();
        private ClassLoader classLoader = WeirConfig.class.getClassLoader();

        private Loader() {
        }

        /** The variables {@code {$NAME}} reads; the process environment by default. */
        public Loader environment(Map<String, String> variables) {
            this.environment = Map.copyOf(variables);
            return this;
        }

        /** The user name per-user instance ids end in; {@code user.name} by default. */
        public Loader userName(String name) {
            this.userName = Objects.requireNonNull(name, "name is null");
            return this;
        }

        /** The directory relative {@code work_dir} and {@code base_path} are resolved against. */
        public Loader workingDirectory(Path directory) {
            this.workingDirectory = directory.toAbsolutePath();
            return this;
        }

        /** What {@code max_parallelism: auto} stands for; the processor count by default. */
        public Loader availableProcessors(int processors) {
            if (processors < 1) {
                throw new IllegalArgumentException("availableProcessors must be at least 1, was " + processors);
            }
            this.availableProcessors = processors;
            return this;
        }

        /** Where resources and Weir's {@code reference.conf} are looked up. */
        public Loader classLoader(ClassLoader loader) {
            this.classLoader = Objects.requireNonNull(loader, "loader is null");
            return this;
        }

        /**
         * Reads a {@code .conf}, {@code .yaml} or {@code .yml} file. Relative {@code attrs_file} and
         * {@code url_attrs_file} paths are resolved against the file's directory.
         */
        public WeirConfig load(Path file) {
            String origin = file.toString();
            Config root = ConfigReader.readFile(file, origin, false);
            Path parent = file.toAbsolutePath().getParent();
            return create(origin, root, parent == null ? workingDirectory : parent);
        }

        public WeirConfig fromConfig(Config config, String originName) {
            Objects.requireNonNull(config, "config is null");
            Objects.requireNonNull(originName, "originName is null");
            Config resolved;
            try {
                resolved = config.resolve();
            } catch (ConfigException e) {
                throw ConfigError.of(originName, "has an unresolved substitution: " + e.getMessage(), e);
            }
            return create(originName, resolved, workingDirectory);
        }

        public WeirConfig fromResource(String name) {
            return create(name, ConfigReader.readResource(classLoader, name), workingDirectory);
        }

        public WeirConfig parseString(String text, Syntax syntax) {
            return parseString(text, syntax, "<string>");
        }

        public WeirConfig parseString(String text, Syntax syntax, String originName) {
            return create(originName, ConfigReader.parse(text, syntax, originName, false), workingDirectory);
        }

        private WeirConfig create(String origin, Config root, Path configDirectory) {
            InstanceResolver.Context context = new InstanceResolver.Context(environment, userName, workingDirectory,
                    configDirectory, availableProcessors);
            return new WeirConfig(origin, root, defaults(), context);
        }

        private Config defaults() {
            // Only Weir's own block, without system property overrides so results are reproducible. The
            // class loader's reference.conf files are parsed once per process and cached by Typesafe Config:
            // the actor system's ConfigFactory.load() reuses that parse (every library's reference.conf).
            // Without the remote modules' files (LocalReference): this block needs none of them, and a local
            // actor system (Weir.start) reads the same ones.
            Config reference = ConfigFactory.defaultReferenceUnresolved(LocalReference.loader(classLoader));
            if (!reference.hasPath("weir.pipeline-defaults")) {
                throw ConfigError.of("reference.conf", "has no weir.pipeline-defaults block; is the Weir engine"
                        + " jar on the class path?", null);
            }
            return reference.getConfig("weir.pipeline-defaults").resolve();
        }
    }
}
