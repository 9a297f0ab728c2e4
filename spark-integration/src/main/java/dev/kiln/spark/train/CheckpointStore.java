package dev.kiln.spark.train;

import dev.kiln.checkpoint.Checkpoint;
import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.lr.LRScheduler;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Training checkpoints in a directory of any Hadoop FileSystem ({@code file://}, {@code hdfs://}, {@code s3a://}):
 * {@code ckpt-<global step>.kiln}, each a {@link Checkpoint} (model, optimizer, scheduler, epoch, step). A
 * checkpoint is written under a temporary name and renamed into place, so a reader never sees a partial file; the
 * newest complete one wins, and all but the newest {@link #KEEP} are deleted.
 *
 * <p>Only rank 0 writes (weights are identical on every rank). Random streams need no saving: the trainer draws
 * shuffles and dropout from (seed, epoch/step, rank) alone.
 */
public final class CheckpointStore implements Serializable {
    private static final long serialVersionUID = 1L;
    static final int KEEP = 2;
    private static final String PREFIX = "ckpt-";
    private static final String SUFFIX = ".kiln";

    private final String dir;
    private final HashMap<String, String> hadoopConf;

    /** {@code hadoopConf}: the driver's Hadoop settings, shipped to executors (Configuration is not serializable). */
    public CheckpointStore(String dir, Map<String, String> hadoopConf) {
        this.dir = dir;
        this.hadoopConf = new HashMap<>(hadoopConf);
    }

    public String directory() {
        return dir;
    }

    private FileSystem fs() throws IOException {
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        return new Path(dir).getFileSystem(conf);
    }

    /** The global step of the newest complete checkpoint, or -1 if there is none. */
    public long latestStep() {
        try {
            FileSystem fs = fs();
            Path d = new Path(dir);
            if (!fs.exists(d)) {
                return -1;
            }
            return Arrays.stream(fs.listStatus(d)).map(FileStatus::getPath).map(Path::getName)
                    .filter(n -> n.startsWith(PREFIX) && n.endsWith(SUFFIX))
                    .mapToLong(n -> Long.parseLong(n.substring(PREFIX.length(), n.length() - SUFFIX.length())))
                    .max().orElse(-1);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes a checkpoint for global step {@code step} atomically, then prunes old ones. */
    public void save(Module model, Optimizer optimizer, LRScheduler scheduler, long epoch, long step) {
        java.nio.file.Path local = null;
        try {
            local = Files.createTempFile("kiln-ckpt-", SUFFIX);
            Checkpoint.save(local, model, optimizer, scheduler, epoch, step);
            FileSystem fs = fs();
            Path d = new Path(dir);
            fs.mkdirs(d);
            Path tmp = new Path(d, "_tmp-" + UUID.randomUUID() + SUFFIX);
            fs.copyFromLocalFile(false, true, new Path(local.toUri()), tmp);
            Path target = new Path(d, name(step));
            fs.delete(target, false);
            if (!fs.rename(tmp, target)) {
                fs.delete(tmp, false);
                throw new IOException("rename of " + tmp + " to " + target + " failed");
            }
            prune(fs, d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint for step " + step + " to " + dir + ": "
                    + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    /** Loads the checkpoint of global step {@code step} into the given objects; returns where it stopped. */
    public Checkpoint.Resume load(long step, Module model, Optimizer optimizer, LRScheduler scheduler) {
        java.nio.file.Path local = null;
        try {
            local = Files.createTempFile("kiln-ckpt-", SUFFIX);
            fs().copyToLocalFile(false, new Path(new Path(dir), name(step)), new Path(local.toUri()), true);
            return Checkpoint.load(local, model, optimizer, scheduler);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + name(step) + " in " + dir + ": "
                    + e.getMessage(), e);
        } finally {
            deleteQuietly(local);
        }
    }

    private static String name(long step) {
        return String.format("%s%012d%s", PREFIX, step, SUFFIX);
    }

    private void prune(FileSystem fs, Path d) throws IOException {
        long[] steps = Arrays.stream(fs.listStatus(d)).map(s -> s.getPath().getName())
                .filter(n -> n.startsWith(PREFIX) && n.endsWith(SUFFIX))
                .mapToLong(n -> Long.parseLong(n.substring(PREFIX.length(), n.length() - SUFFIX.length())))
                .sorted().toArray();
        for (int i = 0; i < steps.length - KEEP; i++) {
            fs.delete(new Path(d, name(steps[i])), false);
        }
    }

    private static void deleteQuietly(java.nio.file.Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // a temp file; the OS cleans /tmp
            }
        }
    }
}
