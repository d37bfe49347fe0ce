package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Reads Parquet files written by a {@link ParquetWriter} back as Arrow tables: what the chunk cache of
 * batched tasks uses. The engine has no Parquet code of its own; an implementation (the
 * {@code weir-stores} module has one on DuckDB) is found with {@link ServiceLoader}.
 *
 * <p>Thread-safe, unlike the writer: chunks read their cache entries in parallel. Its calls block.
 */
public interface ParquetReader extends AutoCloseable {

    /**
     * Reads the whole of {@code file}. The returned table's buffers come from {@code allocator}; the
     * caller owns the table and closes it.
     *
     * @throws IllegalStateException when the file is missing or not readable Parquet
     */
    ArrowTable read(Path file, org.apache.arrow.memory.BufferAllocator allocator);

    /**
     * The number of rows {@code file} holds, read from its footer without reading the data: a cheap
     * check that a file is whole.
     *
     * @throws IllegalStateException when the file is missing or not readable Parquet
     */
    long rowCount(Path file);

    @Override
    void close();

    /**
     * A new reader from the first implementation on {@code loader}'s class path.
     *
     * @throws IllegalStateException when there is none
     */
    static ParquetReader load(ClassLoader loader) {
        return ServiceLoader.load(ParquetReader.class, loader).findFirst().orElseThrow(() -> new IllegalStateException(
                "no ParquetReader found on the class path: add the weir-stores module (dev.weir:weir-stores), which "
                        + "reads Parquet through DuckDB"));
    }
}
