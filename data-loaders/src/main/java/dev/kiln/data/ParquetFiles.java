package dev.kiln.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Expands what a user names (one file, a directory, or a glob such as {@code data/part-*.parquet}; a local path
 * or any Hadoop FileSystem URI: {@code file://}, {@code hdfs://}, {@code s3a://}) into a sorted list of Parquet
 * files. Directories are listed one level deep, skipping Spark's and Hadoop's marker files (names starting with
 * {@code _} or {@code .}, e.g. {@code _SUCCESS}, {@code .part-0.crc}).
 */
final class ParquetFiles {
    private ParquetFiles() {
    }

    /**
     * A Configuration that needs no Hadoop install: the defaults shipped in hadoop-client-api, with the local
     * file system for scheme-less paths. hdfs:// and s3a:// settings can be added by the caller.
     */
    static Configuration localConfiguration() {
        return new Configuration(Base.CONF); // a copy: parsing Hadoop's default XML resources costs tens of ms
    }

    /** The parsed defaults, once per process. */
    private static final class Base {
        static final Configuration CONF = new Configuration();

        static {
            CONF.set("fs.defaultFS", "file:///");
            CONF.get("fs.file.impl"); // loads the default resources now, so copies share the parsed properties
        }
    }

    /** The files {@code location} names, sorted by path so every worker sees the same order. */
    static List<Path> expand(String location, Configuration conf) throws IOException {
        Path path = new Path(location);
        FileSystem fs = path.getFileSystem(conf);
        FileStatus[] matches = hasGlob(location) ? fs.globStatus(path) : existing(fs, path);
        List<Path> files = new ArrayList<>();
        for (FileStatus st : matches == null ? new FileStatus[0] : matches) {
            if (st.isDirectory()) {
                FileStatus[] children = fs.listStatus(st.getPath());
                Arrays.sort(children);
                for (FileStatus c : children) {
                    if (c.isFile() && isDataFile(c.getPath())) {
                        files.add(c.getPath());
                    }
                }
            } else if (isDataFile(st.getPath()) || !hasGlob(location)) {
                files.add(st.getPath());
            }
        }
        files.sort(null);
        if (files.isEmpty()) {
            throw new IOException("no Parquet files found at '" + location + "'"
                    + (matches == null || matches.length == 0 ? " (nothing matches that path)" : " (only empty "
                    + "directories or marker files such as _SUCCESS)"));
        }
        return files;
    }

    private static FileStatus[] existing(FileSystem fs, Path path) throws IOException {
        return fs.exists(path) ? new FileStatus[] {fs.getFileStatus(path)} : new FileStatus[0];
    }

    private static boolean hasGlob(String location) {
        return location.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static boolean isDataFile(Path p) {
        String name = p.getName();
        return !name.startsWith("_") && !name.startsWith(".");
    }
}
