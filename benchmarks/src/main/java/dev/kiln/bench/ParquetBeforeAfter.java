package dev.kiln.bench;

import dev.kiln.data.Batch;
import dev.kiln.data.ParquetDataset;
import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Compares this build's {@link ParquetDataset} with an earlier build's IN ONE PROCESS, epochs alternating, so a
 * busy shared machine slows both alike (separate runs minutes apart measured the machine's load, not the code).
 * The earlier build is loaded from its jars in a child-first class loader for {@code dev.kiln.*} (Arrow, Parquet
 * and Hadoop are shared). Reads ParquetBench's {@code list<float>} files with {@code features("features")
 * .label("label").batchSize(256)}.
 *
 * <p>Args: {@code <dir with the earlier kiln-data-loaders and kiln-tensor-core jars> [runs] [files...]}.
 */
public final class ParquetBeforeAfter {
    private ParquetBeforeAfter() {
    }

    /** Loads {@code dev.kiln.*} from the given jars first, everything else from the parent. */
    private static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("dev.kiln.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try {
                        c = findClass(name);
                    } catch (ClassNotFoundException e) {
                        c = super.loadClass(name, false);
                    }
                }
                return c;
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        String[] files = args.length > 2 ? Arrays.copyOfRange(args, 2, args.length) : new String[] {
            "/tmp/kiln-parquet-bench/mnist200k.parquet", "/tmp/kiln-parquet-bench/mnist200k-rg5000.parquet"};
        ClassLoader before = new ChildFirst(new URL[] {dir.resolve("kiln-data-loaders-0.1.0-SNAPSHOT.jar").toUri().toURL(),
            dir.resolve("kiln-tensor-core-0.1.0-SNAPSHOT.jar").toUri().toURL()}, ParquetBeforeAfter.class.getClassLoader());
        System.out.printf("| file | threads | before rows/s | after rows/s | after / before (medians) "
                + "| median of per-round ratios |%n|---|---:|---:|---:|---:|---:|%n");
        for (String file : files) {
            for (int threads : new int[] {1, 2}) {
                double[] b = new double[runs];
                double[] a = new double[runs];
                epochBefore(before, file, threads); // warm-up both
                epochAfter(file, threads);
                for (int r = 0; r < runs; r++) {
                    boolean beforeFirst = r % 2 == 0;
                    if (beforeFirst) {
                        b[r] = time(() -> epochBefore(before, file, threads));
                    }
                    a[r] = time(() -> epochAfter(file, threads));
                    if (!beforeFirst) {
                        b[r] = time(() -> epochBefore(before, file, threads));
                    }
                }
                long rows = epochAfter(file, threads);
                double rb = rows / MixedParquetBench.median(b);
                double ra = rows / MixedParquetBench.median(a);
                double[] ratios = new double[runs]; // adjacent epochs share the machine's load of the moment
                for (int r = 0; r < runs; r++) {
                    ratios[r] = b[r] / a[r];
                }
                System.out.printf("| %s | %d | %,.0f | %,.0f | %.2f | %.2f |%n", Path.of(file).getFileName(), threads,
                        rb, ra, ra / rb, MixedParquetBench.median(ratios));
            }
        }
    }

    private interface Epoch {
        long run() throws Exception;
    }

    private static double time(Epoch e) throws Exception {
        long t0 = System.nanoTime();
        e.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    static long epochAfter(String file, int threads) throws IOException {
        long rows = 0;
        try (ParquetDataset ds = ParquetDataset.builder(file).features("features").label("label").batchSize(256)
                .numThreads(threads).build()) {
            for (Batch b : ds) {
                try (b) {
                    rows += b.batchSize();
                }
            }
        }
        return rows;
    }

    /** The same epoch through the earlier build's classes (reflection: they are not this build's types). */
    static long epochBefore(ClassLoader cl, String file, int threads) throws Exception {
        Class<?> ds = cl.loadClass("dev.kiln.data.ParquetDataset");
        Object b = ds.getMethod("builder", String.class).invoke(null, file);
        Class<?> bc = b.getClass();
        bc.getMethod("features", String.class).invoke(b, "features");
        bc.getMethod("label", String.class).invoke(b, "label");
        bc.getMethod("batchSize", int.class).invoke(b, 256);
        bc.getMethod("numThreads", int.class).invoke(b, threads);
        long rows = 0;
        try (AutoCloseable d = (AutoCloseable) bc.getMethod("build").invoke(b)) {
            Method size = null;
            for (Object batch : (Iterable<?>) d) {
                size = size == null ? batch.getClass().getMethod("batchSize") : size;
                rows += (long) size.invoke(batch);
                ((AutoCloseable) batch).close();
            }
        }
        return rows;
    }
}
