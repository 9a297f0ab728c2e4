package dev.kiln.examples.spark;

import dev.kiln.data.MnistToParquet;
import dev.kiln.examples.MnistFiles;
import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * MNIST as Parquet ({@code features array<float>[784]} in [0, 1], {@code label int}), converted once from the IDX
 * files with {@link MnistToParquet} and reused afterwards. The target may be any Hadoop FileSystem directory (on a
 * cluster it must be one every executor can read). A file is written under a temporary name and renamed, so an
 * interrupted conversion never leaves a truncated file that a later run would trust.
 */
final class MnistParquet {
    private MnistParquet() {
    }

    /**
     * Fails fast when the IDX files are missing and a local Parquet directory does not already hold both splits
     * (for other file systems the check happens when the job converts).
     */
    static void checkSources(java.nio.file.Path idxDir, String dir) throws IOException {
        java.net.URI uri = new Path(dir).toUri();
        if (uri.getScheme() != null && !uri.getScheme().equals("file")) {
            return;
        }
        for (String split : new String[] {"train", "t10k"}) {
            if (!java.nio.file.Files.exists(java.nio.file.Path.of(uri.getPath(), split + ".parquet"))) {
                MnistFiles.images(idxDir, split);
                MnistFiles.labels(idxDir, split);
            }
        }
    }

    /** The Parquet file of {@code split} ("train" or "t10k") under {@code dir}, converted if it is not there yet. */
    static String ensure(java.nio.file.Path idxDir, String dir, String split, Configuration conf) throws IOException {
        Path target = new Path(dir, split + ".parquet");
        FileSystem fs = target.getFileSystem(conf);
        if (fs.exists(target)) {
            return fs.makeQualified(target).toString();
        }
        java.nio.file.Path images = MnistFiles.images(idxDir, split);
        java.nio.file.Path labels = MnistFiles.labels(idxDir, split);
        fs.mkdirs(target.getParent());
        Path tmp = new Path(dir, "." + split + ".parquet." + UUID.randomUUID() + ".tmp");
        try {
            long t0 = System.nanoTime();
            long rows = MnistToParquet.convert(images, labels, fs.makeQualified(tmp).toString());
            if (!fs.rename(tmp, target)) {
                throw new IOException("could not rename " + tmp + " to " + target);
            }
            System.out.printf(java.util.Locale.ROOT, "converted %s: %,d rows -> %s (%.1f s)%n", images.getFileName(),
                    rows, target, (System.nanoTime() - t0) / 1e9);
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
        return fs.makeQualified(target).toString();
    }
}
