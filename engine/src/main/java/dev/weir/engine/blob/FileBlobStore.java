package dev.weir.engine.blob;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Blobs of one instance as files, with the same stage transactions as the table store: a stage's
 * blobs are written into {@code <stage>__tx/} and a commit swaps that directory in for
 * {@code <stage>/} by renames. Blocking; thread-safe for distinct stages.
 */
public final class FileBlobStore {

    private final Path root;

    /** @param root this instance's blob directory (created when first written) */
    public FileBlobStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** Empties the stage's transaction directory. */
    public void begin(String stage) {
        deleteTree(transactionDir(stage));
    }

    /** Writes a blob into the stage's transaction and returns its file name. */
    public String write(String stage, String name, byte[] bytes) {
        String file = encode(name);
        Path dir = transactionDir(stage);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(file), bytes);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write blob '" + name + "' of stage '" + stage + "' to " + dir, e);
        }
    }

    /** Reads a blob, from the stage's transaction or from its committed directory. */
    public byte[] read(String stage, String file, boolean fromTransaction) {
        Path path = (fromTransaction ? transactionDir(stage) : committedDir(stage)).resolve(file);
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read blob " + path, e);
        }
    }

    /** Copies a committed blob into the stage's transaction (a cache hit carried forward). */
    public void copyForward(String stage, String file) {
        Path target = transactionDir(stage).resolve(file);
        try {
            Files.createDirectories(target.getParent());
            Files.copy(committedDir(stage).resolve(file), target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot carry blob " + file + " of stage '" + stage + "' forward", e);
        }
    }

    /** Makes the transaction directory the committed one. A stage without blobs has nothing to swap. */
    public void commit(String stage) {
        Path tx = transactionDir(stage);
        Path committed = committedDir(stage);
        Path old = root.resolve(encode(stage) + "__old");
        try {
            deleteTree(old);
            if (Files.exists(committed)) {
                Files.move(committed, old, StandardCopyOption.ATOMIC_MOVE);
            }
            if (Files.exists(tx)) {
                Files.move(tx, committed, StandardCopyOption.ATOMIC_MOVE);
            }
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the blobs of stage '" + stage + "' in " + root, e);
        }
    }

    /**
     * Empties the stage's transaction directory but for the blob files {@code keep}, which a failed attempt
     * of the stage wrote there (its transaction was kept) and the run resumes.
     */
    public void resume(String stage, java.util.Set<String> keep) {
        Path dir = transactionDir(stage);
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.toList()) {
                if (!keep.contains(p.getFileName().toString())) {
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot empty " + dir + " but for the resumed blobs " + keep, e);
        }
    }

    /** True when the stage's transaction directory holds the blob file {@code file}. */
    public boolean inTransaction(String stage, String file) {
        return Files.isRegularFile(transactionDir(stage).resolve(file));
    }

    /** Drops the transaction directory; the committed blobs stay. */
    public void abort(String stage) {
        deleteTree(transactionDir(stage));
    }

    private Path transactionDir(String stage) {
        return root.resolve(encode(stage) + "__tx");
    }

    private Path committedDir(String stage) {
        return root.resolve(encode(stage));
    }

    private static String encode(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8).replace("*", "%2A");
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException e) {
                    throw new UncheckedIOException("cannot empty " + dir, e);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
