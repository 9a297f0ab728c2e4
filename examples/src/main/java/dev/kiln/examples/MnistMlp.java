package dev.kiln.examples;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.data.Batch;
import dev.kiln.data.DataLoader;
import dev.kiln.data.IdxReader;
import dev.kiln.data.TensorDataset;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Linear;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * MNIST with a 784-256-128-10 ReLU MLP, written as the PyTorch loop it mirrors (PyTorch's
 * {@code examples/mnist/main.py} with an MLP): {@code model.train()}, {@code zero_grad}, forward, loss,
 * {@code backward}, {@code step}; then {@code model.eval()} under {@code no_grad} for test accuracy. Inputs are
 * normalized with MNIST's mean/std (0.1307, 0.3081) like {@code transforms.Normalize}. One {@link TensorScope}
 * per step frees the step's intermediates. Adam (lr 1e-3) with PyTorch's {@code StepLR(step_size=1, gamma=0.7)}. Prints a line per epoch and writes the loss/accuracy curve as a PNG.
 *
 * <p>Get the data ({@code examples/scripts/fetch-mnist.sh} puts the IDX files in {@code data/mnist/}), then:
 * <pre>
 * MnistMlp [--data DIR] [--epochs N] [--lr LR] [--gamma G] [--batch-size B] [--plot FILE.png] [--seed S]
 * </pre>
 */
public final class MnistMlp {
    private static final double MEAN = 0.1307;
    private static final double STD = 0.3081;

    private MnistMlp() {
    }

    public static void main(String[] args) throws IOException {
        Args a = Args.parse(args);
        Kiln.manualSeed(a.seed);
        try (Split trainSplit = load(a.data, "train");
             Split testSplit = load(a.data, "t10k");
             Sequential model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(),
                     new Linear(128, 10));
             CrossEntropyLoss criterion = new CrossEntropyLoss();
             Adam optimizer = new Adam(model.parameters(), a.lr);
             DataLoader<List<Tensor>> trainLoader = DataLoader.builder(trainSplit.dataset()).batchSize(a.batchSize).shuffle(true)
                     .numWorkers(1).build();
             DataLoader<List<Tensor>> testLoader = DataLoader.builder(testSplit.dataset()).batchSize(1000).build()) {
            TensorDataset train = trainSplit.dataset();
            TensorDataset test = testSplit.dataset();
            System.out.println(model);
            System.out.printf(Locale.ROOT, "train %d, test %d samples from %s%n", train.size(), test.size(), a.data);
            List<Double> lossX = new ArrayList<>();
            List<Double> lossY = new ArrayList<>();
            List<Double> accX = new ArrayList<>();
            List<Double> accY = new ArrayList<>();
            long start = System.nanoTime();
            long step = 0;
            for (int epoch = 1; epoch <= a.epochs; epoch++) {
                model.train();
                long t0 = System.nanoTime();
                double lossSum = 0;
                long seen = 0;
                for (Batch batch : trainLoader) {
                    try (batch; TensorScope scope = TensorScope.open()) {
                        Tensor x = batch.features().view(-1, 784);
                        optimizer.zeroGrad();
                        Tensor loss = criterion.forward(model.forward(x), batch.labels());
                        loss.backward();
                        optimizer.step();
                        double l = loss.item();
                        lossSum += l * batch.batchSize();
                        seen += batch.batchSize();
                        if (++step % 50 == 0) {
                            lossX.add(step / (double) trainLoader.length());
                            lossY.add(l);
                        }
                    }
                }
                double trainSeconds = (System.nanoTime() - t0) / 1e9;
                double acc = evaluate(model, testLoader);
                accX.add((double) epoch);
                accY.add(acc * 100);
                // StepLR(step_size=1, gamma): lr *= gamma after every epoch, as PyTorch's MNIST example does.
                for (var group : optimizer.paramGroups()) {
                    group.set("lr", group.getDouble("lr") * a.gamma);
                }
                System.out.printf(Locale.ROOT, "epoch %d  train loss %.4f  test accuracy %.2f%%  %.0f samples/s  "
                        + "(%.1f s)%n", epoch, lossSum / seen, acc * 100, seen / trainSeconds, trainSeconds);
            }
            System.out.printf(Locale.ROOT, "done: %d epochs in %.1f s, final test accuracy %.2f%%%n", a.epochs,
                    (System.nanoTime() - start) / 1e9, accY.get(accY.size() - 1));
            CurvePlot.write(a.plot, new CurvePlot.Series("train loss (x: epoch)", lossX, lossY, Color.BLUE),
                    new CurvePlot.Series("test accuracy % (x: epoch)", accX, accY, new Color(0, 130, 0)));
            System.out.println("curve written to " + a.plot.toAbsolutePath());
        }
    }

    /** Test accuracy: {@code model.eval()}, no autograd, argmax over the logits. */
    static double evaluate(Sequential model, DataLoader<List<Tensor>> loader) {
        model.eval();
        long correct = 0;
        long total = 0;
        try (var noGrad = Autograd.noGrad()) {
            for (Batch batch : loader) {
                try (batch; TensorScope scope = TensorScope.open()) {
                    Tensor pred = model.forward(batch.features().view(-1, 784)).argmax(1, false);
                    correct += (long) pred.eq(batch.labels()).sum().item();
                    total += batch.batchSize();
                }
            }
        }
        return correct / (double) total;
    }

    /** {@code prefix}-images-idx3-ubyte[.gz] and labels from {@code dir}, scaled to [0, 1] and normalized. */
    static Split load(Path dir, String prefix) throws IOException {
        TensorDataset ds = IdxReader.dataset(find(dir, prefix + "-images-idx3-ubyte"),
                find(dir, prefix + "-labels-idx1-ubyte"), true);
        ds.tensors().get(0).sub_(MEAN).div_(STD);
        return new Split(ds);
    }

    /** A dataset whose tensors this program owns; closing frees them. */
    record Split(TensorDataset dataset) implements AutoCloseable {
        @Override
        public void close() {
            dataset.tensors().forEach(Tensor::close);
        }
    }

    private static Path find(Path dir, String stem) throws IOException {
        for (String name : new String[] {stem, stem + ".gz"}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        try (Stream<Path> s = Files.list(dir)) { // e.g. train-images.idx3-ubyte from other mirrors
            return s.filter(p -> p.getFileName().toString().replace('.', '-').startsWith(stem)).findFirst()
                    .orElseThrow(() -> new IOException("no " + stem + "[.gz] in " + dir.toAbsolutePath()
                            + "; run examples/scripts/fetch-mnist.sh " + dir + " first"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("MNIST directory " + dir.toAbsolutePath() + " does not exist; run "
                    + "examples/scripts/fetch-mnist.sh " + dir + " first", e);
        }
    }

    /** Command-line options; a bare argument is the data directory. */
    record Args(Path data, int epochs, double lr, double gamma, int batchSize, Path plot, long seed) {
        static Args parse(String[] args) {
            Path data = Path.of("data/mnist");
            int epochs = 5;
            double lr = 1e-3;
            double gamma = 0.7;
            int batchSize = 128;
            Path plot = Path.of("mnist-mlp.png");
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
