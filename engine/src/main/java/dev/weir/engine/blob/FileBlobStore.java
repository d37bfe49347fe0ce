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
 * blobs (files, and directories tasks write) are written into {@code <stage>__tx/}, emptied when a
 * run begins the stage, and a commit, right after the table store's, swaps that directory in for
 * {@code <stage>/} by renames. The published directory holds the id of the run that committed it
 * ({@link #publishedBy}): a run killed between the table store's commit and the swap leaves the
 * previous run's files, which the next run then recognises as not its cache's ({@link #published}).
 * Blocking; thread-safe for distinct stages.
 */
public final class FileBlobStore {

    /** The file naming the committing run; {@link #fileName} never yields a name with a bare '%'. */
    private static final String RUN_MARKER = "%run";

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

    /**
     * A new, empty directory {@code name} in the stage's transaction, replacing one of that name this
     * run wrote before (an earlier attempt's).
     */
    public Path directory(String stage, String name) {
        Path dir = transactionDir(stage).resolve(fileName(name));
        try {
            deleteTree(dir);
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create directory '" + name + "' of stage '" + stage + "' in "
                    + transactionDir(stage), e);
        }
    }

    /** Where the committed blob or directory {@code name} of {@code stage} is. */
    public Path committedPath(String stage, String name) {
        return committedDir(stage).resolve(fileName(name));
    }

    /** The file name a blob or directory named {@code name} is kept under. */
    public static String fileName(String name) {
        return encode(name);
    }

    /** The run whose commit published the stage's blobs, if any was published. */
    public java.util.Optional<String> publishedBy(String stage) {
        Path marker = committedDir(stage).resolve(RUN_MARKER);
        try {
            return Files.exists(marker) ? java.util.Optional.of(Files.readString(marker, StandardCharsets.UTF_8))
                    : java.util.Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + marker, e);
        }
    }

    /**
     * True when the stage's blobs as committed by run {@code runId} are published: the stage's
     * directory is that run's, and holds each of {@code files}.
     */
    public boolean published(String stage, String runId, java.util.Collection<String> files) {
        return publishedBy(stage).filter(runId::equals).isPresent()
                && files.stream().allMatch(f -> Files.exists(committedDir(stage).resolve(f)));
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

    /**
     * Copies a committed blob or directory into the stage's transaction (a cache hit carried forward);
     * the files of a directory are hard-linked where the file system allows, so no bytes are copied.
     */
    public void copyForward(String stage, String file) {
        Path source = committedDir(stage).resolve(file);
        Path target = transactionDir(stage).resolve(file);
        try {
            Files.createDirectories(target.getParent());
            if (Files.isDirectory(source)) {
                deleteTree(target);
                try (Stream<Path> paths = Files.walk(source)) {
                    for (Path p : paths.toList()) {
                        Path to = target.resolve(source.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(to);
                        } else {
                            linkOrCopy(p, to);
                        }
                    }
                }
                return;
            }
            Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot carry blob " + file + " of stage '" + stage + "' forward", e);
        }
    }

    private static void linkOrCopy(Path from, Path to) throws IOException {
        try {
            Files.createLink(to, from);
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Makes the transaction directory the committed one, marked as published by {@code runId}, the run
     * that committed the stage in the table store just before. A stage without blobs has nothing to swap.
     */
    public void commit(String stage, String runId) {
        Path tx = transactionDir(stage);
        Path committed = committedDir(stage);
        Path old = root.resolve(encode(stage) + "__old");
        try {
            deleteTree(old);
            if (Files.exists(tx)) {
                Files.writeString(tx.resolve(RUN_MARKER), runId, StandardCharsets.UTF_8);
            }
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

    /**
     * Every directory this store may hold for {@code stage}: the published one, the transaction's (a running
     * or kept attempt) and the one a commit swaps out; some may not exist. {@code weir clear} deletes them.
     */
    public java.util.List<Path> stageDirectories(String stage) {
        return java.util.List.of(committedDir(stage), transactionDir(stage), root.resolve(encode(stage) + "__old"));
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
