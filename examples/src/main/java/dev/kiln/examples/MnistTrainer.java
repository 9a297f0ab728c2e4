package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Module;
import dev.kiln.optim.Adam;
import dev.kiln.optim.lr.StepLR;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.awt.Color;
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
 * frees the step's intermediates. Prints a line per epoch and writes the loss/accuracy curve as a PNG.
 */
final class MnistTrainer {
    private MnistTrainer() {
    }

    /** Trains the model {@code factory} builds; returns the final test accuracy in percent. */
    static double run(String name, Supplier<Module> factory, Args a) throws IOException {
        Kiln.manualSeed(a.seed());
        try (MnistData.Split trainSplit = MnistData.load(a.data(), "train");
             MnistData.Split testSplit = MnistData.load(a.data(), "t10k");
             Module model = factory.get();
             CrossEntropyLoss criterion = new CrossEntropyLoss();
             Adam optimizer = new Adam(model.parameters(), a.lr());
             DataLoader<List<Tensor>> trainLoader = DataLoader.builder(trainSplit.dataset()).batchSize(a.batchSize())
                     .shuffle(true).numWorkers(1).build();
             DataLoader<List<Tensor>> testLoader = DataLoader.builder(testSplit.dataset()).batchSize(1000).build()) {
            StepLR scheduler = new StepLR(optimizer, 1, a.gamma());
            System.out.println(model);
            System.out.printf(Locale.ROOT, "train %d, test %d samples from %s%n", trainSplit.dataset().size(),
                    testSplit.dataset().size(), a.data());
            Curves curves = new Curves();
            long start = System.nanoTime();
            double acc = 0;
            for (int epoch = 1; epoch <= a.epochs(); epoch++) {
                long t0 = System.nanoTime();
                double meanLoss = trainEpoch(model, criterion, optimizer, trainLoader, curves);
                double seconds = (System.nanoTime() - t0) / 1e9;
                acc = evaluate(model, testLoader) * 100;
                curves.accuracy(epoch, acc);
                scheduler.step();
                System.out.printf(Locale.ROOT, "epoch %d  train loss %.4f  test accuracy %.2f%%  %.0f samples/s  "
                        + "(%.1f s)%n", epoch, meanLoss, acc, trainSplit.dataset().size() / seconds, seconds);
            }
            System.out.printf(Locale.ROOT, "%s: %d epochs in %.1f s, final test accuracy %.2f%%%n", name, a.epochs(),
                    (System.nanoTime() - start) / 1e9, acc);
            curves.write(a.plot());
            System.out.println("curve written to " + a.plot().toAbsolutePath());
            return acc;
        }
    }

    private static double trainEpoch(Module model, CrossEntropyLoss criterion, Adam optimizer,
                                     DataLoader<List<Tensor>> loader, Curves curves) {
        model.train();
        double lossSum = 0;
        long seen = 0;
        for (Batch batch : loader) {
            try (batch; TensorScope scope = TensorScope.open()) {
                optimizer.zeroGrad();
                Tensor loss = criterion.forward(model.forward(batch.features()), batch.labels());
                loss.backward();
                optimizer.step();
                double l = loss.item();
                lossSum += l * batch.batchSize();
                seen += batch.batchSize();
                curves.loss(seen / (double) loader.length() / batch.batchSize(), l);
            }
        }
        return lossSum / seen;
    }

    /** Test accuracy: {@code model.eval()}, no autograd, argmax over the logits. */
    static double evaluate(Module model, DataLoader<List<Tensor>> loader) {
        model.eval();
        long correct = 0;
        long total = 0;
        try (var noGrad = Autograd.noGrad()) {
            for (Batch batch : loader) {
                try (batch; TensorScope scope = TensorScope.open()) {
                    Tensor pred = model.forward(batch.features()).argmax(1, false);
                    correct += (long) pred.eq(batch.labels()).sum().item();
                    total += batch.batchSize();
                }
            }
        }
        return correct / (double) total;
    }

    /** Loss per step and accuracy per epoch, for the PNG. */
    private static final class Curves {
        private final List<Double> lossX = new ArrayList<>();
        private final List<Double> lossY = new ArrayList<>();
        private final List<Double> accX = new ArrayList<>();
        private final List<Double> accY = new ArrayList<>();
        private int epoch;
        private long steps;

        void loss(double fractionOfEpoch, double value) {
            if (++steps % 50 == 0) {
                lossX.add(epoch + fractionOfEpoch);
                lossY.add(value);
            }
        }

        void accuracy(int epochDone, double percent) {
            epoch = epochDone;
            accX.add((double) epochDone);
            accY.add(percent);
        }

        void write(Path png) throws IOException {
            CurvePlot.write(png, new CurvePlot.Series("train loss (x: epoch)", lossX, lossY, Color.BLUE),
                    new CurvePlot.Series("test accuracy % (x: epoch)", accX, accY, new Color(0, 130, 0)));
        }
    }

    /** Command-line options; a bare argument is the data directory. */
    record Args(Path data, int epochs, double lr, double gamma, int batchSize, Path plot, long seed) {
        static Args parse(String[] args, int defaultEpochs, Path defaultPlot) {
            Path data = Path.of("data/mnist");
            int epochs = defaultEpochs;
            double lr = 1e-3;
            double gamma = 0.7;
            int batchSize = 128;
            Path plot = defaultPlot;
            long seed = 1;
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--data" -> data = Path.of(value(args, ++i));
                    case "--epochs" -> epochs = Integer.parseInt(value(args, ++i));
                    case "--lr" -> lr = Double.parseDouble(value(args, ++i));
                    case "--gamma" -> gamma = Double.parseDouble(value(args, ++i));
                    case "--batch-size" -> batchSize = Integer.parseInt(value(args, ++i));
                    case "--plot" -> plot = Path.of(value(args, ++i));
                    case "--seed" -> seed = Long.parseLong(value(args, ++i));
                    default -> {
                        if (args[i].startsWith("--")) {
                            throw new IllegalArgumentException("unknown option " + args[i] + "; expected --data DIR, "
                                    + "--epochs N, --lr LR, --gamma G, --batch-size B, --plot FILE.png, --seed S");
                        }
                        data = Path.of(args[i]);
                    }
                }
            }
            return new Args(data, epochs, lr, gamma, batchSize, plot, seed);
        }

        private static String value(String[] args, int i) {
            if (i >= args.length) {
                throw new IllegalArgumentException("option " + args[i - 1] + " needs a value");
            }
            return args[i];
        }
    }
}
