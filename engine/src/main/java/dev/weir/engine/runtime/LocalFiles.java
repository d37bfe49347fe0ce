package dev.weir.engine.runtime;

import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.InstanceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where an instance keeps files outside its table store, for {@code weir clear}: its work directory
 * ({@code work_dir}: the chunk cache, lock files, perhaps a DuckDB file), its blob directory (published
 * and kept stage directories) and its local table cache ({@code table_store.local_table_cache}).
 */
public final class LocalFiles {

    private LocalFiles() {
    }

    /**
     * The directories of {@code instance}: its work directory, its blob directory and its local table cache
     * (when configured); some may not exist, and one may lie inside another.
     */
    public static List<Path> ofInstance(InstanceConfig instance) {
        List<Path> dirs = new ArrayList<>(List.of(instance.workDir(), instance.blobStoreDir()));
        if (instance.localTableCache().basePath() != null) {
            dirs.add(instance.localTableCache().basePath());
        }
        return dirs;
    }

    /**
     * The directories of {@code stage} of {@code instance}: its blob directories (published, in transaction,
     * swapped out), its cached chunks and its tables in the local table cache; some may not exist.
     */
    public static List<Path> ofStage(InstanceConfig instance, String stage) {
        List<Path> dirs = new ArrayList<>(new FileBlobStore(instance.blobStoreDir()).stageDirectories(stage));
        dirs.add(ChunkCache.stageDirectory(instance.workDir(), stage));
        if (instance.localTableCache().basePath() != null) {
            dirs.add(instance.localTableCache().basePath().resolve(FileBlobStore.fileName(stage)));
        }
        return dirs;
    }
}
