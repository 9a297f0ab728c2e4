package dev.kiln.examples;

import dev.kiln.examples.cli.Cli;
import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;

/**
 * MNIST with a LeNet-style CNN: conv(1→32, 5x5, same) - ReLU - maxpool 2 - conv(32→64, 5x5, same) - ReLU -
 * maxpool 2 - dropout - fc(3136→128) - ReLU - fc(128→10). Reaches 99% test accuracy in a few epochs, like
 * PyTorch's MNIST example; progress is shown within each (multi-minute) epoch. Get the data with
 * {@code examples/scripts/fetch-mnist.sh}, then {@code MnistCnn --help} for the options.
 */
public final class MnistCnn {
    private MnistCnn() {
    }

    /** The network, also what the Spark job trains (behind an Unflatten of the 784-pixel rows). */
    static Sequential network() {
        return new Sequential(
                new Conv2d(1, 32, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.25),
                new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
    }

    public static void main(String[] args) {
        Cli.main(MnistTrainer.flags("MnistCnn", "Trains a LeNet-style CNN (two 5x5 conv + max-pool layers, dropout, "
                + "two fully connected layers) on MNIST with Adam + StepLR; prints progress within each epoch, test "
                + "accuracy per epoch, and writes the loss/accuracy curves as a PNG.", 4, "out/mnist-cnn.png"), args,
                a -> MnistTrainer.run("MnistCnn", MnistCnn::network, a));
    }
}
