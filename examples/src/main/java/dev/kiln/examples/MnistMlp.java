package dev.kiln.examples;

import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import java.io.IOException;
import java.nio.file.Path;

/**
 * MNIST with a 784-256-128-10 ReLU MLP (PyTorch's MNIST example with an MLP); reaches about 98% test accuracy
 * in 5 epochs. Get the data with {@code examples/scripts/fetch-mnist.sh}, then:
 * <pre>
 * MnistMlp [--data DIR] [--epochs N] [--lr LR] [--gamma G] [--batch-size B] [--plot FILE.png] [--seed S]
 * </pre>
 */
public final class MnistMlp {
    private MnistMlp() {
    }

    public static void main(String[] args) throws IOException {
        MnistTrainer.Args a = MnistTrainer.Args.parse(args, 5, Path.of("mnist-mlp.png"));
        MnistTrainer.run("MnistMlp", () -> new Sequential(new Flatten(), new Linear(784, 256), new ReLU(),
                new Linear(256, 128), new ReLU(), new Linear(128, 10)), a);
    }
}
