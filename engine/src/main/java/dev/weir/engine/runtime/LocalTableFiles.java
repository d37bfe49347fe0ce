package dev.weir.engine.runtime;

import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.config.InstanceConfig.LocalTableCache;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.stream.ParquetReader;
import dev.weir.engine.stream.ParquetWriter;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance's local table cache ({@code table_store.local_table_cache}): whole tables kept as Parquet
 * files {@code <base_path>/<stage>/<table>/<key>.parquet}, where {@code key} is the full cache key of the
 * task that produced the table. That key determines the table's content (the cache's own contract), so a
 * file is read only by a run that reads the table under the same key: a task that ran again with another
 * version, other inputs or another cache function result has another key and is read from the store. A
 * task whose key is its run's alone (no version, forced) is never kept.
 *
 * <p>A file appears whole or not at all (written beside it, then renamed); keeping a table under a new
 * key deletes the files of its older keys. The cache never fails a task: a file that cannot be written is
 * logged and skipped, one that cannot be read is deleted and the table read from the store.
 *
 * <p>Thread-safe: tasks of a run use it in parallel, on the blocking dispatcher. Each call opens its own
 * Parquet reader or writer.
 */
final class LocalTableFiles {

    private static final Logger LOG = LoggerFactory.getLogger(LocalTableFiles.class);
    private static final String SUFFIX = ".parquet";
    private static final String TEMP_PREFIX = ".tmp-";
    private static final Pattern SAFE_KEY = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    private final LocalTableCache settings;
    private final ClassLoader loader;

    LocalTableFiles(LocalTableCache settings, ClassLoader loader) {
        this.settings = settings;
        this.loader = loader;
    }

    /** Whether a task's input tables are read from the files when they are there. */
    boolean readsInputs() {
        return settings.useStoredInputAsCache();
    }

    /** Whether tables a task reads from the store are kept. */
    boolean storesInputs() {
        return settings.storeInput();
    }

    /** Whether tables a task returns as Arrow data are kept. */
    boolean storesOutputs() {
        return settings.storeOutput();
    }

    /** Where the table {@code table} of {@code stage} is kept under {@code key}. */
    Path file(String stage, String table, String key) {
        String name = SAFE_KEY.matcher(key).matches() ? key : CacheKeys.hash(key);
        return directory(stage, table).resolve(name + SUFFIX);
    }

    private Path directory(String stage, String table) {
        return settings.basePath().resolve(FileBlobStore.fileName(stage)).resolve(FileBlobStore.fileName(table));
    }

    /**
     * The table kept under {@code key}, read into {@code allocator} (the caller owns it); empty when there
     * is no such file, or it is unreadable (it is then deleted).
     */
    Optional<ArrowTable> read(String stage, String table, String key, BufferAllocator allocator) {
        if (key == null) {
            return Optional.empty();
        }
        Path file = file(stage, table, key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try (ParquetReader reader = ParquetReader.load(loader)) {
            ArrowTable data = reader.read(file, allocator);
            LOG.debug("Read table '{}' of stage '{}' from the local table cache {}", table, stage, file);
            return Optional.of(data);
        } catch (RuntimeException e) {
            LOG.warn("The local table cache file {} of table '{}' of stage '{}' is unreadable, so the table is read"
                    + " from the table store and the file deleted: {}", file, table, stage, e.toString());
            delete(file);
            return Optional.empty();
        }
    }

    /**
     * Keeps {@code data} as the table {@code table} of {@code stage} under {@code key}, unless it is kept
     * already, and deletes the files of the table's other keys. The data stays the caller's. Never throws.
     */
    void store(String stage, String table, String key, ArrowTable data) {
        if (key == null) {
            return;
        }
        Path file = file(stage, table, key);
        if (Files.isRegularFile(file)) {
            return;
        }
        Path temp = file.resolveSibling(TEMP_PREFIX + file.getFileName() + "-" + UUID.randomUUID());
        try (ParquetWriter writer = ParquetWriter.load(loader)) {
            writer.write(data, temp);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            deleteAllBut(directory(stage, table), file);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Table '{}' of stage '{}' could not be kept in the local table cache {}; it is read from the"
                    + " table store next time: {}", table, stage, file, e.toString());
            delete(temp);
        }
    }

    private static void deleteAllBut(Path dir, Path keep) {
        try (Stream<Path> files = Files.list(dir)) {
            // another task of the run may be writing a temporary file here: leave those
            files.filter(p -> !p.equals(keep) && !p.getFileName().toString().startsWith(TEMP_PREFIX))
                    .forEach(LocalTableFiles::delete);
        } catch (IOException e) {
            LOG.debug("Older files of the local table cache {} could not be listed: {}", dir, e.toString());
        }
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("Could not delete {}: {}", file, e.toString());
        }
    }
}
