package dev.weir.examples.cli;

import dev.weir.engine.config.InstanceConfig;
import dev.weir.engine.config.WeirConfig;
import dev.weir.engine.runtime.LocalFiles;
import dev.weir.engine.runtime.StoreRegistry;
import dev.weir.engine.store.LockManager;
import dev.weir.engine.store.RunRecord;
import dev.weir.engine.store.StoredStage;
import dev.weir.engine.store.TableStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weir clear}: drops what an instance (or one stage of it) holds, so that the next run runs
 * everything: the stages' schemas and tables, their metadata (cache entries, commit records, transaction
 * records, append ledgers), the instance's recorded runs, and its local files (work directory, blob
 * directories). The stages come from the store's metadata, so no flow is needed. Without {@code --yes} it
 * only says what it would drop. With it, it takes the instance lock a run takes, so it never clears under a
 * running flow.
 */
@Command(name = "clear", mixinStandardHelpOptions = true, description = "Drops an instance's (or one stage's)"
        + " schemas, metadata, recorded runs and local files, so the next run runs everything. Without --yes it"
        + " changes nothing and prints what it would drop.", exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:cleared (or nothing to clear)", "1:the store failed, or the instance lock stayed"
                + " taken by a run for lock_timeout", "2:the command line is wrong, or --yes is missing"})
final class ClearCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ClasspathOption classpath = new ClasspathOption();

    @CommandLine.Mixin
    InstanceOptions target = new InstanceOptions();

    @Option(names = "--stage", description = "Clear only this stage (its schemas, metadata and directories);"
            + " the instance's recorded runs and other stages stay.")
    String stage;

    @Option(names = "--yes", description = "Really drop it; without it nothing changes.")
    boolean yes;

    /** What a clear drops, as read from the store and the file system. */
    private record Clearing(List<StoredStage> stages, int runs, List<Path> directories, List<String> kept) {
        boolean isEmpty() {
            return stages.isEmpty() && runs == 0 && directories.isEmpty();
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        WeirConfig weirConfig = target.loadConfig();
        weirConfig.warnings().forEach(w -> err.println("warning: " + w));
        InstanceConfig instance = target.resolve(weirConfig);
        UnaryOperator<String> mask = weirConfig.masking(instance);
        String what = (stage == null ? "" : "stage '" + stage + "' of ") + "instance '" + target.instance + "'";
        try (StoreRegistry stores = new StoreRegistry(classpath.loader())) {
            TableStore store = stores.open(instance.tableStore());
            String storeName = store.kind() + " store '" + instance.tableStore().connectionName() + "'";
            if (!yes) {
                Clearing clearing = inspect(store, weirConfig, instance);
                if (clearing.isEmpty()) {
                    out.println(mask.apply("Nothing to clear: " + what + " (" + storeName + ") holds nothing."
                            + (stage == null ? "" : " The instance's stages are " + store.stages() + ".")));
                    return 0;
                }
                out.print(mask.apply("Would drop, from " + what + " (" + storeName + "):\n" + describe(clearing)));
                out.flush();
                err.println("weir: nothing was changed; add --yes to drop the above");
                return WeirCommand.USAGE;
            }
            String lockName = LockManager.instanceLock(instance.instanceId());
            try (LockManager.Lock lock = store.locks().acquire(lockName, instance.lockTimeout(),
                    message -> err.println(mask.apply(message)))) {
                Clearing clearing = inspect(store, weirConfig, instance);
                if (clearing.isEmpty()) {
                    out.println(mask.apply("Nothing to clear: " + what + " (" + storeName + ") holds nothing."));
                    return 0;
                }
                out.print(mask.apply("Dropping, from " + what + " (" + storeName + "):\n" + describe(clearing)));
                out.flush();
                for (StoredStage s : clearing.stages()) {
                    lock.verify();
                    store.dropStage(s.stage());
                }
                if (stage == null) {
                    store.forgetRuns();
                }
                for (Path dir : clearing.directories()) {
                    delete(dir, store);
                }
                out.println(mask.apply("OK cleared " + what + ": " + clearing.stages().size() + " stages, "
                        + clearing.stages().stream().mapToInt(s -> s.schemas().size()).sum() + " schemas, "
                        + (clearing.stages().stream().mapToInt(StoredStage::metadataRows).sum() + clearing.runs())
                        + " metadata rows, " + clearing.directories().size() + " directories"));
                return 0;
            } catch (LockManager.LockTimeoutException e) {
                err.println("weir: " + mask.apply("cannot clear " + what + " while a run holds its lock: "
                        + e.getMessage() + " (lock_timeout " + dev.weir.engine.config.Durations.human(instance.lockTimeout()) + " of " + instance.source()
                        + "); nothing was changed"));
                return WeirCommand.RUN_FAILED;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("weir: interrupted while waiting for the lock of " + what);
            return WeirCommand.RUN_FAILED;
        } catch (RuntimeException e) {
            err.println(RunErrors.describe(e, mask));
            return WeirCommand.RUN_FAILED;
        }
    }

    /** What clearing would drop now: the stages the store holds, the runs, the local directories. */
    private Clearing inspect(TableStore store, WeirConfig weirConfig, InstanceConfig instance) {
        List<String> names = stage == null ? store.stages() : List.of(stage);
        List<StoredStage> stages = new ArrayList<>();
        for (String name : names) {
            StoredStage stored = store.storedStage(name);
            if (!stored.isEmpty()) {
                stages.add(stored);
            }
        }
        int runs = stage == null ? store.lastRuns(RunRecord.KEPT_PER_INSTANCE).size() : 0;
        List<Path> candidates = stage == null ? LocalFiles.ofInstance(instance) : LocalFiles.ofStage(instance, stage);
        List<Path> directories = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (Path dir : candidates) {
            Path absolute = dir.toAbsolutePath().normalize();
            if (!Files.isDirectory(absolute) || directories.stream().anyMatch(absolute::startsWith)) {
                continue;
            }
            String refusal = refusal(absolute, weirConfig, instance);
            if (refusal != null) {
                kept.add("directory " + absolute + " (" + refusal + ")");
            } else if (!deletable(absolute, store).isEmpty()) {
                directories.add(absolute);
                try (Stream<Path> walk = Files.walk(absolute)) {
                    walk.filter(store::usesLocalFile).sorted()
                            .forEach(f -> kept.add("file " + f + " (the table store uses it)"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + absolute, e);
                }
            }
        }
        return new Clearing(stages, runs, directories, kept);
    }

    /**
     * Why {@code dir} must not be deleted, or null: the working directory or one above it, the home directory,
     * or a directory another instance of the configuration uses too (a work or blob directory without
     * {@code {instance_id}} in it).
     */
    private String refusal(Path dir, WeirConfig weirConfig, InstanceConfig instance) {
        Path cwd = Path.of("").toAbsolutePath().normalize();
        if (cwd.startsWith(dir)) {
            return "it holds the working directory";
        }
        if (dir.equals(Path.of(System.getProperty("user.home")).toAbsolutePath().normalize())) {
            return "it is the home directory";
        }
        for (String name : weirConfig.instanceNames()) {
            InstanceConfig other;
            try {
                other = weirConfig.instance(name);
            } catch (RuntimeException unusable) {
                continue; // an instance the configuration cannot resolve here uses no directory here
            }
            if (other.instanceId().equals(instance.instanceId())) {
                continue;
            }
            for (Path theirs : List.of(other.workDir(), other.blobStoreDir())) {
                Path t = theirs.toAbsolutePath().normalize();
                if (t.startsWith(dir) || dir.startsWith(t)) {
                    return "instance '" + name + "' uses it too";
                }
            }
        }
        return null;
    }

    /** The entries under {@code dir} to delete, deepest first: all but the files the store uses. */
    private static List<Path> deletable(Path dir, TableStore store) {
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> all = walk.sorted(Comparator.reverseOrder()).toList();
            List<Path> used = all.stream().filter(store::usesLocalFile).toList();
            return all.stream().filter(p -> used.stream().noneMatch(u -> u.startsWith(p))).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static void delete(Path dir, TableStore store) {
        for (Path p : deletable(dir, store)) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + p + " (clearing " + dir + ")", e);
            }
        }
    }

    private String describe(Clearing clearing) {
        StringBuilder text = new StringBuilder();
        for (StoredStage s : clearing.stages()) {
            text.append("stage ").append(s.stage()).append(": ");
            if (s.schemas().isEmpty()) {
                text.append("no schema");
            } else {
                List<String> schemas = new ArrayList<>();
                for (Map.Entry<String, Integer> e : s.schemas().entrySet()) {
                    schemas.add(e.getKey() + " (" + e.getValue() + (e.getValue() == 1 ? " table)" : " tables)"));
                }
                text.append("schemas ").append(String.join(", ", schemas));
            }
            text.append("; ").append(s.metadataRows()).append(" metadata rows (").append(s.cacheEntries())
                    .append(" cache entries").append(s.committed() ? ", its commit record" : "")
                    .append(s.transaction() ? ", its open or kept transaction" : "")
                    .append(s.ledgerEntries() > 0 ? ", " + s.ledgerEntries() + " append ledger entries" : "")
                    .append(")\n");
        }
        if (clearing.runs() > 0) {
            text.append("recorded runs: ").append(clearing.runs()).append('\n');
        }
        for (Path dir : clearing.directories()) {
            text.append("directory ").append(dir).append('\n');
        }
        for (String kept : clearing.kept()) {
            text.append("kept: ").append(kept).append('\n');
        }
        return text.toString();
    }
}
