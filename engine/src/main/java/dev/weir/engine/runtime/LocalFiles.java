package dev.weir.engine.runtime;

import dev.weir.engine.blob.FileBlobStore;
import dev.weir.engine.config.InstanceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where an instance keeps files outside its table store, for {@code weir clear}: its work directory
 * ({@code work_dir}: the chunk cache, lock files, perhaps a DuckDB file) and its blob directory (published
 * and kept stage directories).
 */
public final class LocalFiles {

    private LocalFiles() {
    }

    /**
     * The directories of {@code stage} of {@code instance}: its blob directories (published, in transaction,
     * swapped out) and its cached chunks; some may not exist.
     */
    public static List<Path> ofStage(InstanceConfig instance, String stage) {
        List<Path> dirs = new ArrayList<>(new FileBlobStore(instance.blobStoreDir()).stageDirectories(stage));
        dirs.add(ChunkCache.stageDirectory(instance.workDir(), stage));
        return dirs;
    }
}
