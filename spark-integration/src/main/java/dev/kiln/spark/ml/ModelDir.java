package dev.kiln.spark.ml;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * A saved stage's directory on any Hadoop FileSystem (file:, hdfs:, s3a:, ...): written whole into a hidden sibling
 * ({@code .name.kiln-tmp-<uuid>}) and renamed into place only when complete, so a crash never leaves half a model
 * at the path; plus small-file reads and writes with size limits and checksums.
 */
final class ModelDir {
    /** Refuse to read a metadata file larger than this (it is a few KB). */
    static final long MAX_METADATA_BYTES = 16L << 20;

    private ModelDir() {
    }

    /** Writes one directory's contents. */
    interface Body {
        void write(FileSystem fs, Path dir) throws IOException;
    }

    /**
     * Writes {@code path} through {@code body}: into a temporary sibling first, then renamed onto {@code path}
     * (replacing an existing one only when {@code overwrite}; the error otherwise is Spark's).
     */
    static void writeAtomically(String path, boolean overwrite, Configuration conf, Body body) throws IOException {
        Path target = new Path(path);
        FileSystem fs = target.getFileSystem(conf);
        target = fs.makeQualified(target);
        if (fs.exists(target) && !overwrite) {
            throw new IOException("Path " + path + " already exists. To overwrite it, please use " // Spark's words
                    + "write.overwrite().save(path) for Scala and use write().overwrite().save(path) for Java and "
                    + "Python.");
        }
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".kiln-tmp-" + UUID.randomUUID());
        try {
            if (!fs.mkdirs(tmp)) {
                throw new IOException("cannot create the temporary directory " + tmp);
            }
            body.write(fs, tmp);
            if (fs.exists(target) && !fs.delete(target, true)) {
                throw new IOException("cannot delete the existing " + target + " to overwrite it");
            }
            if (!fs.rename(tmp, target)) {
                throw new IOException("cannot rename " + tmp + " to " + target);
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, true);
            }
        }
    }

    static void writeBytes(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, false)) {
            out.write(bytes);
        }
    }

    static void writeText(FileSystem fs, Path file, String text) throws IOException {
        writeBytes(fs, file, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a whole file of at most {@code maxBytes}; the errors name the file. */
    static byte[] readBytes(FileSystem fs, Path file, long maxBytes) throws IOException {
        long length;
        try {
            length = fs.getFileStatus(file).getLen();
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException(file + " does not exist");
        }
        if (length > maxBytes) {
            throw new IOException(file + " has " + length + " bytes, more than the " + maxBytes + " expected");
        }
        try (FSDataInputStream in = fs.open(file)) {
            return readAll(in, (int) length);
        }
    }

    private static byte[] readAll(InputStream in, int expected) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(32, expected));
        in.transferTo(out);
        return out.toByteArray();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** This build's Kiln version (from the filtered {@code kiln-spark.properties}), or "unknown". */
    static String kilnVersion() {
        try (InputStream in = ModelDir.class.getResourceAsStream("/dev/kiln/spark/kiln-spark.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
