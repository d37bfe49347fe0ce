package dev.weir.engine.config;

import com.typesafe.config.Config;
import dev.weir.engine.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One instance of a pipeline ({@code full}, {@code midi}, {@code mini}, …), resolved from the
 * configuration: {@code instances.__any__} merged under the instance's own section, the technical
 * setup applied, {@code {instance_id}} and {@code {$ENV}} substituted, secrets read from the attrs
 * file. Immutable and validated; {@link WeirConfig#instance} builds it.
 *
 * @param pipelineName     the configuration's {@code name}
 * @param instanceName     the instance's key under {@code instances}
 * @param instanceId       what isolates this instance's data (schemas, files, paths)
 * @param tableStore       the selected table store connection
 * @param tableStores      every configured table store connection, resolved for this instance, by
 *                         connection name (for {@code --table-store NAME})
 * @param blobStoreDir     where blobs of this instance are written
 * @param workDir          a directory private to this instance (locks, local table cache)
 * @param cacheValidation  the cache validation settings
 * @param orchestration    the engine and its parallelism
 * @param failFast         whether the first failed task fails the run at once
 * @param inline           how {@code Table.inline()} hints are interpreted
 * @param lockTimeout      how long a run waits for another run of the same instance
 * @param retry            the retry policy for transient failures
 * @param attrs            free-form attributes handed to the flow ({@code attrs}), may be empty
 * @param perUser          whether {@link #instanceId} carries the user name
 * @param source           where this instance was read from (file and key), for messages
 * @param timeouts         how long a task, a chunk and a store statement may take
 * @param localTableCache  whether tables are also kept as local Parquet files, and read from them
 *                         ({@code table_store.local_table_cache})
 * @param memory           the Arrow memory a run, a task and a chunk may hold ({@code memory})
 */
public record InstanceConfig(
        String pipelineName,
        String instanceName,
        String instanceId,
        StoreSettings tableStore,
        Map<String, StoreSettings> tableStores,
        Path blobStoreDir,
        Path workDir,
        CacheValidation cacheValidation,
        Orchestration orchestration,
        boolean failFast,
        InlineMode inline,
        Duration lockTimeout,
        RetryPolicy retry,
        Config attrs,
        boolean perUser,
        String source,
        Timeouts timeouts,
        LocalTableCache localTableCache,
        Memory memory) {

    public InstanceConfig {
        Objects.requireNonNull(pipelineName, "pipelineName is null");
        Objects.requireNonNull(instanceName, "instanceName is null");
        Objects.requireNonNull(instanceId, "instanceId is null");
        Objects.requireNonNull(tableStore, "tableStore is null");
        tableStores = Map.copyOf(tableStores);
        Objects.requireNonNull(blobStoreDir, "blobStoreDir is null");
        Objects.requireNonNull(workDir, "workDir is null");
        Objects.requireNonNull(cacheValidation, "cacheValidation is null");
        Objects.requireNonNull(orchestration, "orchestration is null");
        Objects.requireNonNull(inline, "inline is null");
        Objects.requireNonNull(lockTimeout, "lockTimeout is null");
        Objects.requireNonNull(retry, "retry is null");
        Objects.requireNonNull(attrs, "attrs is null");
        Objects.requireNonNull(source, "source is null");
        Objects.requireNonNull(timeouts, "timeouts is null");
        Objects.requireNonNull(localTableCache, "localTableCache is null");
        Objects.requireNonNull(memory, "memory is null");
    }

    /** An instance whose run may hold as much Arrow memory as the JVM's direct memory ({@link Memory#auto()}). */
    public InstanceConfig(String pipelineName, String instanceName, String instanceId, StoreSettings tableStore,
                          Map<String, StoreSettings> tableStores, Path blobStoreDir, Path workDir,
                          CacheValidation cacheValidation, Orchestration orchestration, boolean failFast,
                          InlineMode inline, Duration lockTimeout, RetryPolicy retry, Config attrs, boolean perUser,
                          String source, Timeouts timeouts, LocalTableCache localTableCache) {
        this(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir, workDir, cacheValidation,
                orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source, timeouts,
                localTableCache, Memory.auto());
    }

    /** An instance without a local table cache. */
    public InstanceConfig(String pipelineName, String instanceName, String instanceId, StoreSettings tableStore,
                          Map<String, StoreSettings> tableStores, Path blobStoreDir, Path workDir,
                          CacheValidation cacheValidation, Orchestration orchestration, boolean failFast,
                          InlineMode inline, Duration lockTimeout, RetryPolicy retry, Config attrs, boolean perUser,
                          String source, Timeouts timeouts) {
        this(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir, workDir, cacheValidation,
                orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source, timeouts,
                LocalTableCache.OFF);
    }

    /** An instance with the default {@link Timeouts}. */
    public InstanceConfig(String pipelineName, String instanceName, String instanceId, StoreSettings tableStore,
                          Map<String, StoreSettings> tableStores, Path blobStoreDir, Path workDir,
                          CacheValidation cacheValidation, Orchestration orchestration, boolean failFast,
                          InlineMode inline, Duration lockTimeout, RetryPolicy retry, Config attrs, boolean perUser,
                          String source) {
        this(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir, workDir, cacheValidation,
                orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source, Timeouts.DEFAULT);
    }

    /** This instance with another {@code lock_timeout}. */
    public InstanceConfig withLockTimeout(Duration timeout) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, timeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance with other task, chunk and statement timeouts. */
    public InstanceConfig withTimeouts(Timeouts other) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser,
                source, other, localTableCache, memory);
    }

    /** This instance on another of its configured table store connections. */
    public InstanceConfig withTableStore(String connectionName) {
        StoreSettings other = tableStores.get(connectionName);
        if (other == null) {
            throw new ConfigError(source, "table_store.table_store_connection", connectionName,
                    "one of the configured table store connections " + tableStores.keySet());
        }
        return new InstanceConfig(pipelineName, instanceName, instanceId, other, tableStores, blobStoreDir, workDir,
                cacheValidation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance on a table store given by its settings (e.g. one built in a test). */
    public InstanceConfig withTableStoreSettings(StoreSettings settings) {
        Map<String, StoreSettings> all = new java.util.LinkedHashMap<>(tableStores);
        all.put(settings.connectionName(), settings);
        return new InstanceConfig(pipelineName, instanceName, instanceId, settings, all, blobStoreDir, workDir,
                cacheValidation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance with other cache validation settings (e.g. from the command line). */
    public InstanceConfig withCacheValidation(CacheValidation validation) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, validation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance with another engine or parallelism. */
    public InstanceConfig withOrchestration(Orchestration other) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, other, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance with another interpretation of inline hints. */
    public InstanceConfig withInline(InlineMode mode) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, mode, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, memory);
    }

    /** This instance with other free-form attributes. */
    public InstanceConfig withAttrs(Config other) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, lockTimeout, retry, other, perUser,
                source, timeouts, localTableCache, memory);
    }

    /** This instance with fail-fast on or off: whether a task's failure stops the run. */
    public InstanceConfig withFailFast(boolean stopOnFailure) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, stopOnFailure, inline, lockTimeout, retry, attrs, perUser,
                source, timeouts, localTableCache, memory);
    }

    /** This instance with another retry policy for transient failures. */
    public InstanceConfig withRetry(RetryPolicy policy) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, lockTimeout, policy, attrs, perUser,
                source, timeouts, localTableCache, memory);
    }

    /** This instance with another local table cache. */
    public InstanceConfig withLocalTableCache(LocalTableCache cache) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, cache, memory);
    }

    /** This instance with other memory budgets. */
    public InstanceConfig withMemory(Memory budgets) {
        return new InstanceConfig(pipelineName, instanceName, instanceId, tableStore, tableStores, blobStoreDir,
                workDir, cacheValidation, orchestration, failFast, inline, lockTimeout, retry, attrs, perUser, source,
                timeouts, localTableCache, budgets);
    }

    /** An attribute as a string, if set. */
    public Optional<String> attr(String path) {
        return attrs.hasPath(path) ? Optional.of(attrs.getString(path)) : Optional.empty();
    }

    /**
     * A description safe for logs: store arguments are left out (they may hold passwords) and
     * only the names of {@code attrs} are shown (values may come from an attrs file of secrets).
     * {@link WeirConfig#describe} shows every value with secrets masked.
     */
    @Override
    public String toString() {
        return "InstanceConfig[" + source + ": instanceId=" + instanceId + ", tableStore=" + tableStore
                + ", tableStores=" + new java.util.TreeSet<>(tableStores.keySet()) + ", blobStoreDir=" + blobStoreDir
                + ", workDir=" + workDir + ", cacheValidation=" + cacheValidation + ", orchestration=" + orchestration
                + ", failFast=" + failFast + ", inline=" + inline.configName() + ", lockTimeout=" + lockTimeout
                + ", retry=" + retry + ", timeouts=" + timeouts + ", localTableCache=" + localTableCache + ", memory=" + memory + ", attrs=" + new java.util.TreeSet<>(attrs.root().keySet()) + ", perUser="
                + perUser + "]";
    }

    /** How a run checks and uses the cache. */
    public record CacheValidation(Mode mode, boolean ignoreTaskVersion, boolean disableCacheFunction) {
        public static final CacheValidation NORMAL = new CacheValidation(Mode.NORMAL, false, false);

        public CacheValidation {
            Objects.requireNonNull(mode, "mode is null");
        }

        public CacheValidation withMode(Mode other) {
            return new CacheValidation(other, ignoreTaskVersion, disableCacheFunction);
        }

        /** The five validation modes of pipedag. */
        public enum Mode {
            /** Use the cache; cache functions decide whether input is fresh. */
            NORMAL("normal"),
            /** Fail when a cache function reports fresh input (e.g. a frozen release run). */
            ASSERT_NO_FRESH_INPUT("assert-no-fresh-input"),
            /** Do not call cache functions: input is taken as unchanged. */
            IGNORE_FRESH_INPUT("ignore-fresh-input"),
            /** Tasks with a cache function run as if their input were fresh. */
            FORCE_FRESH_INPUT("force-fresh-input"),
            /** Every task runs. */
            FORCE_CACHE_INVALID("force-cache-invalid");

            private final String configName;

            Mode(String configName) {
                this.configName = configName;
            }

            public String configName() {
                return configName;
            }

            /** Accepts the kebab-case name and the pipedag snake_case name. */
            public static Optional<Mode> parse(String text) {
                return ConfigNames.parse(values(), Mode::configName, text);
            }
        }
    }

    /** Which engine runs tasks, and how many at once. */
    public record Orchestration(Engine engine, int maxParallelism) {
        public Orchestration {
            Objects.requireNonNull(engine, "engine is null");
            if (maxParallelism < 1) {
                throw new IllegalArgumentException("maxParallelism must be at least 1, was " + maxParallelism);
            }
        }

        public enum Engine { SEQUENTIAL, PARALLEL }
    }

    /** Retries of transient store failures. */
    public record RetryPolicy(int maxAttempts, Duration minBackoff, Duration maxBackoff) {
        public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(200), Duration.ofSeconds(5));

        public RetryPolicy {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
            }
            Objects.requireNonNull(minBackoff, "minBackoff is null");
            Objects.requireNonNull(maxBackoff, "maxBackoff is null");
        }

        /** The wait before retrying after failed attempt {@code attempt} (1-based): doubling, capped, +0–20% jitter. */
        public Duration backoff(int attempt) {
            long millis = Math.min(maxBackoff.toMillis(), minBackoff.toMillis() * (1L << Math.min(attempt - 1, 20)));
            long jitter = (long) (millis * 0.2 * java.util.concurrent.ThreadLocalRandom.current().nextDouble());
            return Duration.ofMillis(millis + jitter);
        }
    }

    /**
     * The bounds on waiting for work: each is a positive duration, named after its configuration key.
     *
     * @param task      {@code task_timeout}: one attempt of a task, start to end (a batched task: all its chunks)
     * @param chunk     {@code chunk_timeout}: one chunk of a batched task computing, and again uploading
     * @param statement {@code statement_timeout}: one SQL statement of the table store
     */
    public record Timeouts(Duration task, Duration chunk, Duration statement) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofHours(2), Duration.ofMinutes(30),
                Duration.ofHours(1));

        public Timeouts {
            positive(task, "task_timeout");
            positive(chunk, "chunk_timeout");
            positive(statement, "statement_timeout");
        }

        private static void positive(Duration value, String key) {
            Objects.requireNonNull(value, key + " is null");
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(key + " must be positive, was " + value);
            }
        }

        public Timeouts withTask(Duration value) {
            return new Timeouts(value, chunk, statement);
        }

        public Timeouts withChunk(Duration value) {
            return new Timeouts(task, value, statement);
        }

        public Timeouts withStatement(Duration value) {
            return new Timeouts(task, chunk, value);
        }
    }

    /**
     * pipedag's local table cache ({@code table_store.local_table_cache}): tables also kept as Parquet files
     * in a directory of this machine, keyed by the cache key of the task that produced them, so that a task
     * can read its input tables from there instead of the table store. A file is only ever read under the
     * key of the content it holds; the cache never fails a task (an unreadable file is a miss).
     *
     * @param storeInput            keep each table a task reads from the store ({@code store_input})
     * @param storeOutput           keep each table a task returns as Arrow data ({@code store_output})
     * @param useStoredInputAsCache read a task's input tables from the files when they are there
     *                              ({@code use_stored_input_as_cache})
     * @param basePath              where the files go ({@code args.base_path}); by default the instance's
     *                              {@code work_dir}/local_table_cache
     */
    public record LocalTableCache(boolean storeInput, boolean storeOutput, boolean useStoredInputAsCache,
                                  Path basePath) {

        /** No local table cache: the default when {@code local_table_cache} is not configured. */
        public static final LocalTableCache OFF = new LocalTableCache(false, false, false, null);

        public LocalTableCache {
            if ((storeInput || storeOutput || useStoredInputAsCache) && basePath == null) {
                throw new IllegalArgumentException("a local table cache needs a base path");
            }
        }

        /** Whether the cache does anything. */
        public boolean enabled() {
            return storeInput || storeOutput || useStoredInputAsCache;
        }
    }

    /**
     * The Arrow (off-heap) memory a run, each task and each chunk of a batched task may hold at once, in
     * bytes ({@code memory.run}, {@code memory.task}, {@code memory.chunk}); {@link Long#MAX_VALUE} is
     * unlimited. They form a tree: a task's memory counts toward its run's, a chunk's toward its task's
     * (so do a batched task's computed chunks waiting for their upload, and its split input's buffers).
     * Going over one fails the task, naming the budget and its key.
     */
    public record Memory(long run, long task, long chunk) {
        public static final Memory UNLIMITED = new Memory(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE);

        /**
         * The default ({@code memory.run = auto}): a run may hold {@link #autoRun()}; its tasks and chunks take
         * that too.
         */
        public static Memory auto() {
            return new Memory(autoRun(), Long.MAX_VALUE, Long.MAX_VALUE);
        }

        /**
         * Three quarters of the JVM's direct memory ({@link #directMemoryLimit()}), where Arrow's buffers live:
         * the quarter left is for what uses direct memory besides Arrow's accounting (its pools' partly used
         * chunks, the JDK's I/O buffers), so that Arrow's budget refuses before the JVM does.
         */
        public static long autoRun() {
            return directMemoryLimit() / 4 * 3;
        }

        /**
         * The JVM's limit on direct memory: {@code -XX:MaxDirectMemorySize}, which by default is the heap's
         * maximum. Arrow's buffers count toward it, so a budget above it would never be the one that refuses.
         */
        public static long directMemoryLimit() {
            return MemorySizes.directMemoryLimit();
        }

        /** A level left unlimited takes the budget of the level above, which bounds it anyway. */
        public Memory {
            if (task == Long.MAX_VALUE) {
                task = run;
            }
            if (chunk == Long.MAX_VALUE) {
                chunk = task;
            }
            positive(run, "memory.run");
            positive(task, "memory.task");
            positive(chunk, "memory.chunk");
            if (task > run) {
                throw new IllegalArgumentException("memory.task (" + describe(task) + ") is more than memory.run ("
                        + describe(run) + "), which holds every task of a run");
            }
            if (chunk > task) {
                throw new IllegalArgumentException("memory.chunk (" + describe(chunk) + ") is more than memory.task ("
                        + describe(task) + "), which holds every chunk of a batched task");
            }
        }

        private static void positive(long value, String key) {
            if (value <= 0) {
                throw new IllegalArgumentException(key + " must be a size above zero, was " + value);
            }
        }

        /** A budget as a user would write it: {@code 512 MiB}, {@code 1.5 GiB}, {@code 700 bytes} or {@code unlimited}. */
        public static String describe(long bytes) {
            return MemorySizes.describe(bytes);
        }

        @Override
        public String toString() {
            return "Memory[run=" + describe(run) + ", task=" + describe(task) + ", chunk=" + describe(chunk) + "]";
        }
    }

    /** The per-instance interpretation of {@code inline} hints (pipedag #163). */
    public enum InlineMode {
        DEFAULT_TRUE("default-true"), DEFAULT_FALSE("default-false"), FORCE_TRUE("force-true"),
        FORCE_FALSE("force-false");

        private final String configName;

        InlineMode(String configName) {
            this.configName = configName;
        }

        public String configName() {
            return configName;
        }

        /** Accepts the kebab-case name and the pipedag snake_case name. */
        public static Optional<InlineMode> parse(String text) {
            return ConfigNames.parse(values(), InlineMode::configName, text);
        }
    }
}
