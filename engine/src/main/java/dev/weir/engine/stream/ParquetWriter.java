package dev.weir.engine.stream;

import dev.weir.engine.data.ArrowTable;
import java.nio.file.Path;
import java.util.ServiceLoader;

/**
 * Writes Arrow tables as Parquet files: what {@link StreamExecutor#writeTo} uses. The engine has no
 * Parquet code of its own; an implementation (the {@code weir-stores} module has one on DuckDB) is
 * found with {@link ServiceLoader}.
 *
 * <p>One writer serves one run and is used by one thread at a time; its calls block.
 */
public interface ParquetWriter extends AutoCloseable {

    /**
     * Writes {@code table} to {@code file}, replacing it, creating missing directories. The table stays
     * the caller's.
     */
    void write(ArrowTable table, Path file);

    @Override
    void close();

    /**
     * A new writer from the first implementation on {@code loader}'s class path.
     *
     * @throws IllegalStateException when there is none
     */
    static ParquetWriter load(ClassLoader loader) {
        return ServiceLoader.load(ParquetWriter.class, loader).findFirst().orElseThrow(() -> new IllegalStateException(
                "no ParquetWriter found on the class path: add the weir-stores module (dev.weir:weir-stores), which "
                        + "writes Parquet through DuckDB"));
    }
}
