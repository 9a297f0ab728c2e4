package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Converts MNIST's IDX files to Parquet the way Spark would store the same data as a DataFrame:
 * {@code features} as {@code array<float>} of 784 pixels scaled to [0, 1] ({@code list<float>} in Parquet) and
 * {@code label} as {@code int}.
 *
 * <pre>java -cp ... dev.kiln.data.MnistToParquet train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz train.parquet</pre>
 */
public final class MnistToParquet {
    private MnistToParquet() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: MnistToParquet <images.idx[.gz]> <labels.idx[.gz]> <out.parquet>");
            System.exit(2);
        }
        long rows = convert(Path.of(args[0]), Path.of(args[1]), args[2]);
        System.out.println("wrote " + rows + " rows to " + args[2]);
    }

    /** Writes the images (scaled to [0, 1]) and labels to {@code out}; returns the number of rows. */
    public static long convert(Path images, Path labels, String out) throws IOException {
        try (TensorScope scope = TensorScope.open(); // frees the IDX tensors and their copies on exit
             FeatureLabelWriter w = new FeatureLabelWriter(out, 128L << 20)) {
            TensorDataset ds = IdxReader.dataset(images, labels, true);
            Tensor x = ds.tensors().get(0);
            long n = x.size(0);
            float[] pixels = x.reshape(n, -1).contiguous().toFloatArray();
            long[] y = ds.tensors().get(1).toLongArray();
            int k = (int) (pixels.length / Math.max(n, 1));
            for (int i = 0; i < n; i++) {
                w.write(java.util.Arrays.copyOfRange(pixels, i * k, (i + 1) * k), Math.toIntExact(y[i]));
            }
            return n;
        }
    }
}
