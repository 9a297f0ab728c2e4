package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.examples.cli.Flags;
import dev.kiln.examples.cli.Flags.Kind;
import dev.kiln.examples.cli.ProgressLine;
import dev.kiln.examples.plot.TrainingPlot;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.lr.StepLR;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The training loop of PyTorch's {@code examples/mnist/main.py}, line for line: {@code model.train()},
 * {@code zero_grad}, forward, loss, {@code backward}, {@code step} per batch; {@code model.eval()} under
 * {@code no_grad} for test accuracy; Adam with {@code StepLR(step_size=1, gamma)}. One {@link TensorScope} per step
 * frees the step's intermediates. Shows progress within each epoch, a line per epoch, and writes the loss/accuracy
 * curves as a PNG.
 */
final class MnistTrainer {
    private MnistTrainer() {
    }

    /** The flags both MNIST programs take. */
    static Flags flags(String program, String summary, int defaultEpochs, String defaultPlot) {
        return new Flags(program, summary)
                .add("data", Kind.PATH, "DIR", "data/mnist", "directory with MNIST's four IDX files "
                        + "(examples/scripts/fetch-mnist.sh DIR fetches them)")
                .add("epochs", Kind.POSITIVE_INT, String.valueOf(defaultEpochs), "passes over the 60k training images")
                .add("lr", Kind.POSITIVE_DOUBLE, "LR", "0.001", "Adam's learning rate")
                .add("gamma", Kind.FRACTION, "G", "0.7", "StepLR: the learning rate is multiplied by G after each epoch")
                .add("batch-size", Kind.POSITIVE_INT, "B", "128", "training batch size")
                .add("plot", Kind.PATH, "FILE.png", defaultPlot, "where the loss/accuracy PNG goes")
                .add("seed", Kind.LONG, "S", "1", "random seed (initial weights, shuffling, dropout)")
                .add("device", Kind.STRING, "DEV", "auto", "cpu, cuda, cuda:N, or auto (the GPU when one is usable, "
                        + "else the CPU)")
                .positional("data");
    }

    /** Trains the model {@code factory} builds; returns the final test accuracy in percent. */
    static double run(String name, Supplier<Module> factory, Flags.Values a) throws IOException {
        Kiln.manualSeed(a.longValue("seed"));
        Device device = device(a.string("device"));
        int epochs = a.integer("epochs");
        Path plot = a.path("plot");
        try (MnistData.Split trainSplit = MnistData.load(a.path("data"), "train");
             MnistData.Split testSplit = MnistData.load(a.path("data"), "t10k");
             Module model = factory.get().to(device); // before the optimizer takes its parameters
             CrossEntropyLoss criterion = new CrossEntropyLoss();
             Adam optimizer = new Adam(model.parameters(), a.number("lr"));
             DataLoader<List<Tensor>> trainLoader = DataLoader.builder(trainSplit.dataset())
                     .batchSize(a.integer("batch-size")).shuffle(true).numWorkers(1).build();
             DataLoader<List<Tensor>> testLoader = DataLoader.builder(testSplit.dataset()).batchSize(1000).build()) {
            StepLR scheduler = new StepLR(optimizer, 1, a.number("gamma"));
            System.out.println(model);
            System.out.printf(Locale.ROOT, "train %d, test %d samples from %s, on %s%n", trainSplit.dataset().size(),
                    testSplit.dataset().size(), a.path("data"), device);
            Curves curves = new Curves();
            ProgressLine progress = ProgressLine.stdout();
            long start = System.nanoTime();
            double acc = 0;
            for (int epoch = 1; epoch <= epochs; epoch++) {
                long t0 = System.nanoTime();
                double meanLoss = trainEpoch(model, device, criterion, optimizer, trainLoader,
                        trainSplit.dataset().size(), curves, progress, epoch, epochs);
                double seconds = (System.nanoTime() - t0) / 1e9;
                acc = evaluate(model, device, testLoader) * 100;
                curves.accuracy(epoch, acc);
                scheduler.step();
                progress.finishLine();
                System.out.printf(Locale.ROOT, "epoch %d/%d  train loss %.4f  test accuracy %.2f%%  %.0f samples/s  "
                        + "(%.1f s)%n", epoch, epochs, meanLoss, acc, trainSplit.dataset().size() / seconds, seconds);
            }
            System.out.printf(Locale.ROOT, "%s: %d epochs in %.1f s, final test accuracy %.2f%%%n", name, epochs,
                    (System.nanoTime() - start) / 1e9, acc);
            TrainingPlot.write(plot, name, epochs, List.of(curves.loss()), List.of(curves.accuracy()));
            System.out.println("curves written to " + plot.toAbsolutePath());
            return acc;
        }
    }

    /** {@code --device}: PyTorch's device strings, or auto (the GPU when one is usable, as the MNIST example does). */
    static Device device(String spec) {
        if ("auto".equals(spec)) {
            return Device.cudaIsAvailable() ? Device.cuda(0) : Device.CPU;
        }
        return Device.parse(spec);
    }

    private static double trainEpoch(Module model, Device device, CrossEntropyLoss criterion, Adam optimizer,
                                     DataLoader<List<Tensor>> loader, long total, Curves curves,
                                     ProgressLine progress, int epoch, int epochs) {
        model.train();
        progress.startEpoch();
        long t0 = System.nanoTime();
        double lossSum = 0;
        long seen = 0;
        for (Batch batch : loader) {
            try (batch; TensorScope scope = TensorScope.open()) {
                optimizer.zeroGrad();
                Tensor loss = criterion.forward(model.forward(batch.features().to(device)), batch.labels().to(device));
                loss.backward();
                optimizer.step();
                double l = loss.item();
                lossSum += l * batch.batchSize();
                seen += batch.batchSize();
                curves.loss(epoch - 1 + seen / (double) total, l);
                progress.update(epoch, epochs, seen, total, lossSum / seen, seen / ((System.nanoTime() - t0) / 1e9));
            }
        }
        return lossSum / seen;
    }

    /** Test accuracy: {@code model.eval()}, no autograd, argmax over the logits. */
    static double evaluate(Module model, Device device, DataLoader<List<Tensor>> loader) {
        model.eval();
        long correct = 0;
        long total = 0;
        try (var noGrad = Autograd.noGrad()) {
            for (Batch batch : loader) {
                try (batch; TensorScope scope = TensorScope.open()) {
                    Tensor pred = model.forward(batch.features().to(device)).argmax(1, false);
                    correct += (long) pred.eq(batch.labels().to(device)).sum().item();
                    total += batch.batchSize();
                }
            }
        }
        return correct / (double) total;
    }

    /** Mean training loss every 50 steps and test accuracy per epoch, for the PNG. */
    private static final class Curves {
        private final List<Double> lossX = new ArrayList<>();
        private final List<Double> lossY = new ArrayList<>();
        private final List<Double> accX = new ArrayList<>();
        private final List<Double> accY = new ArrayList<>();
        private double window;
        private int steps;

        void loss(double epochs, double value) {
            window += value;
            if (++steps % 50 == 0) {
                lossX.add(epochs);
                lossY.add(window / 50);
                window = 0;
            }
        }

        void accuracy(int epochDone, double percent) {
            accX.add((double) epochDone);
            accY.add(percent);
        }

        TrainingPlot.Curve loss() {
            return new TrainingPlot.Curve("train loss (mean of 50 steps)", lossX, lossY);
        }

        TrainingPlot.Curve accuracy() {
            return new TrainingPlot.Curve("test accuracy", accX, accY);
        }
    }
}
