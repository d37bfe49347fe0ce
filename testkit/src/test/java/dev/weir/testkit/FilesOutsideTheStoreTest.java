package dev.weir.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weir.engine.Flow;
import dev.weir.engine.blob.FileBlobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Files a task writes outside the table store ({@code TaskContext.directory}) appear with their stage's
 * commit or not at all: a run killed mid-write, or between the table store's commit and the files'
 * publication, never leaves a cache hit over partial or older files. Runs on every store:
 * {@link FilesOutsideTheStoreOnDuckDbTest} and {@link FilesOutsideTheStoreOnPostgresTest}.
 */
abstract class FilesOutsideTheStoreTest extends FlowKitTest {

    static final int PARTS = 3;

    final AtomicInteger calls = new AtomicInteger();

    /**
     * A task writing {@code PARTS} files holding {@code content}; with {@code dieAfter} >= 0 it throws
     * after writing that many, as a run killed mid-write would stop.
     */
    Flow writer(String content, int dieAfter) {
        return Flow.define("files", f -> f.stage("files").task("write").version(content).produces(ctx -> {
            calls.incrementAndGet();
            Path dir = ctx.directory("parts");
            for (int i = 0; i < PARTS; i++) {
                if (i == dieAfter) {
                    throw new IllegalStateException("killed while writing part " + i);
                }
                Files.writeString(dir.resolve("part-" + i), content);
            }
            return (long) PARTS;
        }));
    }

    Path published() {
        return new FileBlobStore(mini.blobStoreDir()).committedPath("files", "parts");
    }

    /** The published files, each with its content. */
    List<String> publishedFiles() {
        try (Stream<Path> files = Files.list(published())) {
            return files.sorted().map(p -> p.getFileName() + "=" + read(p)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<String> complete(String content) {
        return List.of("part-0=" + content, "part-1=" + content, "part-2=" + content);
    }

    @Test
    void aDirectoryIsPublishedWithItsStageCommitAndCarriedByCacheHits() {
        assertFalse(Files.exists(published()));
        FlowRunRecord first = kit.run(writer("v1", -1), mini);
        assertTrue(first.successful(), () -> first.result().toJson());
        assertEquals(complete("v1"), publishedFiles());

        FlowRunRecord again = kit.run(writer("v1", -1), mini);
        assertEquals(Set.of("write"), again.cacheHits());
        assertEquals(complete("v1"), publishedFiles());
    }

    @Test
    void aRunKilledMidWriteLeavesTheCommittedFilesAndTheNextRunWritesThemWhole() {
        kit.run(writer("v1", -1), mini);

        FlowRunRecord killed = kit.run(writer("v2", 1), mini);
        assertFalse(killed.successful());
        assertEquals(complete("v1"), publishedFiles(), "the partial files were never published");

        FlowRunRecord next = kit.run(writer("v2", -1), mini);
        assertEquals(Set.of("write"), next.ran());
        assertEquals(complete("v2"), publishedFiles());
    }

    @Test
    void aCommitWhoseFilesWereNeverPublishedRunsAgain() throws IOException {
        kit.run(writer("v1", -1), mini);
        Path stage = published().getParent();
        Path saved = dir.resolve("saved");
        copyTree(stage, saved);
        kit.run(writer("v2", -1), mini);
        // as if killed after the table store's commit, before the files' rename: v1's files are published
        deleteTree(stage);
        copyTree(saved, stage);
        calls.set(0);

        FlowRunRecord next = kit.run(writer("v2", -1), mini);

        assertEquals(Set.of("write"), next.ran(), "v2's cache entry is committed, but not its files");
        assertEquals(1, calls.get());
        assertEquals(complete("v2"), publishedFiles());
    }

    @Test
    void aCacheHitWhosePublishedFilesAreGoneRunsAgain() {
        kit.run(writer("v1", -1), mini);
        deleteTree(published());

        FlowRunRecord next = kit.run(writer("v1", -1), mini);

        assertEquals(Set.of("write"), next.ran());
        assertEquals(complete("v1"), publishedFiles());
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : paths.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
