package dev.weir.engine.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weir.engine.batch.Chunk;
import dev.weir.engine.cache.CacheKeys;
import dev.weir.engine.data.ArrowTable;
import dev.weir.engine.store.TableSpec;
import dev.weir.engine.stream.ParquetReader;
import dev.weir.engine.stream.ParquetWriter;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local table cache of one batched task: one entry per chunk key, a directory
 * {@code <workDir>/table-cache/<stage>/<task>/<key>/} holding one Parquet file per output and a
 * {@code manifest.json} naming each output's table, primary key, indexes, row count and file.
 *
 * <p>An entry appears whole or not at all: it is written into a temporary directory beside it and
 * renamed into place. A missing, unreadable or short entry is a miss: it is deleted, said so in a debug
 * line, and the chunk is computed. The cache never fails a task: a write that fails is logged and
 * skipped.
 *
 * <p>Thread-safe: the chunks of a task look up and write entries in parallel, on the blocking
 * dispatcher. Parquet writers are pooled (a writer serves one thread at a time), the reader is shared.
 * {@link #close()} closes them, once the task has ended.
 */
final class ChunkCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkCache.class);
    private static final String MANIFEST = "manifest.json";
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path dir;
    private final String owner;
    private final ClassLoader loader;
    private final ConcurrentLinkedQueue<ParquetWriter> writers = new ConcurrentLinkedQueue<>();
    private ParquetReader reader;
    private boolean closed;

    /**
     * @param workDir the instance's private directory
     * @param owner   the task, for messages, e.g. {@code task 'score' of stage 'out'}
     */
    ChunkCache(Path workDir, String stage, String task, String owner, ClassLoader loader) {
        this.dir = workDir.resolve("table-cache").resolve(fileName(stage)).resolve(fileName(task));
        this.owner = owner;
        this.loader = loader;
    }

    /** One output of a cached chunk. */
    record CachedOutput(String output, OutputShape shape, long rows, Path file) {
    }

    /** A usable entry: every file present with the row count its manifest promises. */
    record Entry(String key, Path dir, List<CachedOutput> outputs) {
        long rows() {
            return outputs.stream().mapToLong(CachedOutput::rows).sum();
        }
    }

    Path directory() {
        return dir;
    }

    /** The entry under {@code key}, if it is whole; an unusable entry is deleted and reported as a miss. */
    Optional<Entry> lookup(String key, Chunk chunk) {
        Path entryDir = dir.resolve(key);
        if (!Files.isDirectory(entryDir)) {
            return Optional.empty();
        }
        try {
            JsonNode manifest = CacheKeys.JSON.readTree(entryDir.resolve(MANIFEST).toFile());
            List<CachedOutput> outputs = new ArrayList<>();
            for (JsonNode o : manifest.path("outputs")) {
                Path file = entryDir.resolve(o.path("file").asText());
                long rows = o.path("rows").asLong(-1);
                long inFile = reader().rowCount(file);
                if (inFile != rows) {
                    throw new IllegalStateException(file + " holds " + inFile + " rows, its manifest says " + rows);
                }
                outputs.add(new CachedOutput(o.path("output").asText(), new OutputShape(o.path("table").asText(),
                        new TableSpec(strings(o.path("primary_key")), indexes(o.path("indexes")))), rows, file));
            }
            if (outputs.isEmpty()) {
                throw new IllegalStateException("its manifest lists no outputs");
            }
            return Optional.of(new Entry(key, entryDir, List.copyOf(outputs)));
        } catch (IOException | RuntimeException e) {
            LOG.debug("The chunk cache entry {} of chunk {} ({}) of {} is unusable, so the chunk is computed: {}",
                    entryDir, chunk.index(), chunk.label(), owner, e.toString());
            delete(entryDir);
            return Optional.empty();
        }
    }

    /** Reads one cached output; the caller owns the table. */
    ArrowTable read(CachedOutput output, BufferAllocator allocator) {
        return reader().read(output.file(), allocator);
    }

    /** Deletes an entry that turned out unreadable. */
    void discard(Entry entry) {
        delete(entry.dir());
    }

    /**
     * Writes a computed chunk's outputs as the entry {@code key}: into a temporary directory, renamed
     * into place. The data stays the caller's. Never throws: a failure is logged and leaves no entry.
     */
    void store(String key, Chunk chunk, Map<String, ArrowTable> data, Map<String, OutputShape> shapes) {
        Path temp = dir.resolve(TEMP_PREFIX + key + "-" + UUID.randomUUID());
        ParquetWriter writer = null;
        try {
            writer = writer();
            ObjectNode manifest = CacheKeys.JSON.createObjectNode();
            manifest.put("chunk", chunk.index());
            manifest.put("label", chunk.label());
            ArrayNode outputs = manifest.putArray("outputs");
            int n = 0;
            for (Map.Entry<String, ArrowTable> e : data.entrySet()) {
                String file = n++ + ".parquet";
                writer.write(e.getValue(), temp.resolve(file));
                OutputShape shape = shapes.get(e.getKey());
                ObjectNode o = outputs.addObject();
                o.put("output", e.getKey());
                o.put("table", shape.table());
                o.set("primary_key", CacheKeys.JSON.valueToTree(shape.spec().primaryKey()));
                o.set("indexes", CacheKeys.JSON.valueToTree(shape.spec().indexes()));
                o.put("rows", e.getValue().rowCount());
                o.put("file", file);
            }
            CacheKeys.JSON.writeValue(temp.resolve(MANIFEST).toFile(), manifest);
            Path target = dir.resolve(key);
            delete(target); // an unusable entry of the same key, found unreadable by this run
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Chunk {} ({}) of {} could not be written to the chunk cache {}; it will be computed again"
                    + " next time: {}", chunk.index(), chunk.label(), owner, dir, e.toString());
            delete(temp);
            if (writer != null) {
                writer.close(); // it failed: do not hand it to the next chunk
                writer = null;
            }
        } finally {
            if (writer != null) {
                giveBack(writer);
            }
        }
    }

    private synchronized void giveBack(ParquetWriter writer) {
        if (closed) {
            writer.close();
        } else {
            writers.add(writer);
        }
    }

    /**
     * Deletes every entry (and leftover temporary directory) but those of {@code keys}: after a
     * successful run the cache holds exactly what that run used, so it does not grow run after run.
     */
    void retainOnly(Set<String> keys) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            entries.filter(p -> !keys.contains(p.getFileName().toString())).forEach(ChunkCache::delete);
        } catch (IOException e) {
            LOG.warn("Old entries of the chunk cache {} of {} could not be listed for deletion: {}", dir, owner,
                    e.toString());
        }
    }

    private synchronized ParquetReader reader() {
        if (closed) {
            throw new IllegalStateException("the chunk cache of " + owner + " is closed");
        }
        if (reader == null) {
            reader = ParquetReader.load(loader);
        }
        return reader;
    }

    private ParquetWriter writer() {
        ParquetWriter writer = writers.poll();
        return writer != null ? writer : ParquetWriter.load(loader);
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (reader != null) {
            reader.close();
            reader = null;
        }
        ParquetWriter writer;
        while ((writer = writers.poll()) != null) {
            writer.close();
        }
    }

    private static void delete(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException ignored) {
                    // deleted meanwhile: what we wanted
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            LOG.warn("Could not delete {} from the chunk cache: {}", path, e.toString());
        }
    }

    /** A stage or task name as one safe path segment. */
    /** The directory of the cached chunks of every batched task of {@code stage}; it may not exist. */
    static Path stageDirectory(Path workDir, String stage) {
        return workDir.resolve("table-cache").resolve(fileName(stage));
    }

    private static String fileName(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }

    private static List<List<String>> indexes(JsonNode array) {
        List<List<String>> values = new ArrayList<>();
        array.forEach(index -> values.add(strings(index)));
        return values;
    }
}
