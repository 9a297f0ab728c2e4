package dev.kiln.examples;

import dev.kiln.data.IdxReader;
import dev.kiln.data.TensorDataset;
import dev.kiln.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;

/** MNIST's IDX files as normalized tensors: images {@code [N, 1, 28, 28]} float32, labels {@code [N]} int64. */
final class MnistData {
    /** MNIST's pixel mean and standard deviation, as PyTorch's {@code transforms.Normalize((0.1307,), (0.3081,))}. */
    private static final double MEAN = 0.1307;
    private static final double STD = 0.3081;

    private MnistData() {
    }

    /** A dataset whose tensors the program owns; closing frees them. */
    record Split(TensorDataset dataset) implements AutoCloseable {
        @Override
        public void close() {
            dataset.tensors().forEach(Tensor::close);
        }
    }

    /** {@code prefix}-images-idx3-ubyte[.gz] and labels from {@code dir}, scaled to [0, 1] and normalized. */
    static Split load(Path dir, String prefix) throws IOException {
        TensorDataset flat = IdxReader.dataset(find(dir, prefix + "-images-idx3-ubyte"),
                find(dir, prefix + "-labels-idx1-ubyte"), true);
        Tensor images = flat.tensors().get(0);
        images.sub_(MEAN).div_(STD);
        Tensor channels = images.unsqueeze(1); // [N, 1, 28, 28]: the layout Conv2d expects; MLPs flatten it
        TensorDataset ds = new TensorDataset(channels, flat.tensors().get(1));
        images.close(); // the view keeps the storage
        return new Split(ds);
    }

    private static Path find(Path dir, String stem) throws IOException {
        return MnistFiles.find(dir, stem);
    }
}
