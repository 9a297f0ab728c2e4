package dev.kiln.examples;

import dev.kiln.examples.cli.Cli;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/**
 * MNIST with a 784-256-128-10 ReLU MLP (PyTorch's MNIST example with an MLP); reaches about 98% test accuracy
 * in 5 epochs. Get the data with {@code examples/scripts/fetch-mnist.sh}, then {@code MnistMlp --help} for the
 * options ({@code --data DIR --epochs N --lr LR --gamma G --batch-size B --plot FILE.png --seed S}).
 */
public final class MnistMlp {
    private MnistMlp() {
    }

    public static void main(String[] args) {
        Cli.main(MnistTrainer.flags("MnistMlp", "Trains a 784-256-128-10 ReLU MLP on MNIST with Adam + StepLR, "
                + "prints test accuracy per epoch and writes the loss/accuracy curves as a PNG.", 5,
                "out/mnist-mlp.png"), args, a -> MnistTrainer.run("MnistMlp", () -> new Sequential(new Flatten(),
                new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10)), a));
    }
}
