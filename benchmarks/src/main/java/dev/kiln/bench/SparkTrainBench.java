package dev.kiln.bench;

import dev.kiln.data.Batch;
import dev.kiln.data.MnistToParquet;
import dev.kiln.data.ParquetDataset;
import dev.kiln.nn.CrossEntropyLoss;
import dev.kiln.nn.Sequential;
import dev.kiln.optim.Adam;
import dev.kiln.optim.lr.StepLR;
import dev.kiln.spark.ml.KilnEstimator;
import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.train.Progress;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Distributed training speed, side by side in one run on MNIST (784-256-128-10 MLP, Adam 1e-3, StepLR 0.7, global
 * batch 128, pixels normalized as PyTorch's MNIST example does):
 * <ol>
 *   <li>{@code KilnEstimator.fit} in {@code local[2]} with 2 workers (batch 64 each, 1 thread each) and with 1
 *       worker (batch 128, 2 threads): wall time, samples/s of the last epochs, test accuracy;</li>
 *   <li>the same loop without Spark (plain Java, 2 threads) on the same rows: samples/s;</li>
 *   <li>Spark MLlib's {@code MultilayerPerceptronClassifier} with the same layers on the same data: wall time and
 *       test accuracy (L-BFGS, {@code --mllib-iters} iterations).</li>
 * </ol>
 * Usage: {@code SparkTrainBench [--data data/mnist] [--epochs 5] [--mllib-iters 100]}.
 */
public final class SparkTrainBench {
    private static final String NORMALIZE = "transform(features, x -> cast((x - 0.1307) / 0.3081 as float)) as features";

    private SparkTrainBench() {
    }

    public static void main(String[] args) throws Exception {
        Path data = Path.of("data/mnist");
        int epochs = 5;
        int mllibIters = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--data" -> data = Path.of(args[++i]);
                case "--epochs" -> epochs = Integer.parseInt(args[++i]);
                case "--mllib-iters" -> mllibIters = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown flag " + args[i]
                        + "; flags: --data DIR, --epochs N, --mllib-iters N");
            }
        }
        Path tmp = Files.createTempDirectory("kiln-spark-bench");
        String train = tmp.resolve("train.parquet").toUri().toString();
        String test = tmp.resolve("test.parquet").toUri().toString();
        MnistToParquet.convert(find(data, "train-images-idx3-ubyte"), find(data, "train-labels-idx1-ubyte"), train);
        MnistToParquet.convert(find(data, "t10k-images-idx3-ubyte"), find(data, "t10k-labels-idx1-ubyte"), test);

        SparkSession spark = SparkSession.builder().master("local[2]").appName("kiln-spark-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Dataset<Row> trainDf = spark.read().parquet(train).selectExpr(NORMALIZE, "label").cache();
        Dataset<Row> testDf = spark.read().parquet(test).selectExpr(NORMALIZE, "label").cache();
        System.out.printf(Locale.ROOT, "rows: train %d, test %d%n", trainDf.count(), testDf.count());

        Result two = kiln(trainDf, testDf, 2, 64, 1, epochs);
        System.out.println("measured: 2 workers " + two); // each result as soon as it exists: MLlib can be slow
        Result one = kiln(trainDf, testDf, 1, 128, 2, epochs);
        System.out.println("measured: 1 worker " + one);
        double plain = plainLoop(train, epochs);
        System.out.printf(Locale.ROOT, "measured: plain loop %,.0f samples/s%n", plain);
        Result mllib = mllib(trainDf, testDf, mllibIters);
        System.out.println();
        System.out.println("| MNIST MLP 784-256-128-10, local[2] | wall s | samples/s (epochs 2..) | test accuracy |");
        System.out.println("|---|---:|---:|---:|");
        row("KilnEstimator.fit, 2 workers x batch 64", two);
        row("KilnEstimator.fit, 1 worker x batch 128", one);
        System.out.printf(Locale.ROOT, "| same loop without Spark (plain Java, 2 threads) | | %,.0f | |%n", plain);
        row("MLlib MultilayerPerceptronClassifier (L-BFGS, " + mllibIters + " iters)", mllib);
        System.out.printf(Locale.ROOT, "%nratios: 2 workers / 1 worker samples/s = %.2f; 2 workers / plain loop = %.2f;"
                + " fit wall time MLlib / Kiln 2 workers = %.2f%n", two.samplesPerSecond / one.samplesPerSecond,
                two.samplesPerSecond / plain, mllib.seconds / two.seconds);
        spark.stop();
    }

    private record Result(double seconds, double samplesPerSecond, double accuracy) {
    }

    private static void row(String name, Result r) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %s | %.2f%% |%n", name, r.seconds,
                Double.isNaN(r.samplesPerSecond) ? "" : String.format(Locale.ROOT, "%,.0f", r.samplesPerSecond),
                100 * r.accuracy);
    }

    private static Result kiln(Dataset<Row> train, Dataset<Row> test, int workers, int batch, int threads,
                               int epochs) {
        long t0 = System.nanoTime();
        KilnModel model = new KilnEstimator().setModelFactory(KilnTrainer::mnistMlp)
                .setNumWorkers(workers).setBatchSize(batch).setThreadsPerWorker(threads).setEpochs(epochs)
                .setOptimizer("adam").setLearningRate(1e-3).setLrScheduler("step").setLrGamma(0.7).setSeed(1)
                .fit(train);
        double seconds = (System.nanoTime() - t0) / 1e9;
        List<Progress.Epoch> h = model.history();
        double samples = 0;
        double time = 0;
        for (int e = 1; e < h.size(); e++) { // epoch 1 includes JIT warm-up
            samples += h.get(e).samples();
            time += h.get(e).seconds();
        }
        double accuracy = model.transform(test).where("prediction = label").count() / (double) test.count();
        return new Result(seconds, samples / time, accuracy);
    }

    /** The same MLP and optimizer, one process, batches of 128 from ParquetDataset; samples/s after epoch 1. */
    private static double plainLoop(String train, int epochs) throws Exception {
        dev.kiln.Kiln.manualSeed(1);
        double samples = 0;
        long time = 0;
        try (Sequential model = KilnTrainer.mnistMlp(); CrossEntropyLoss criterion = new CrossEntropyLoss();
             Adam optimizer = new Adam(model.parameters(), 1e-3)) {
            StepLR scheduler = new StepLR(optimizer, 1, 0.7);
            List<Batch> batches;
            try (ParquetDataset ds = ParquetDataset.builder(train).features("features").label("label")
                    .batchSize(128).build()) {
                batches = new java.util.ArrayList<>();
                for (Batch b : ds) {
                    batches.add(b);
                }
            }
            for (int e = 0; e < epochs; e++) {
                long t0 = System.nanoTime();
                for (Batch b : batches) {
                    try (TensorScope scope = TensorScope.open()) {
                        Tensor x = b.features().sub(0.1307).div(0.3081);
                        optimizer.zeroGrad();
                        criterion.forward(model.forward(x), b.labels()).backward();
                        optimizer.step();
                    }
                }
                scheduler.step();
                if (e > 0) {
                    time += System.nanoTime() - t0;
                    samples += 60_000;
                }
            }
            batches.forEach(Batch::close);
        }
        return samples / (time / 1e9);
    }

    private static Result mllib(Dataset<Row> train, Dataset<Row> test, int iters) {
        Dataset<Row> tv = train.withColumn("features", org.apache.spark.ml.functions.array_to_vector(
                org.apache.spark.sql.functions.col("features")));
        Dataset<Row> sv = test.withColumn("features", org.apache.spark.ml.functions.array_to_vector(
                org.apache.spark.sql.functions.col("features")));
        long t0 = System.nanoTime();
        MultilayerPerceptronClassificationModel m = new MultilayerPerceptronClassifier()
                .setLayers(new int[] {784, 256, 128, 10}).setMaxIter(iters).setBlockSize(128).setSeed(1).fit(tv);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy")
                .evaluate(m.transform(sv));
        return new Result(seconds, Double.NaN, accuracy);
    }

    private static Path find(Path dir, String name) {
        for (String c : new String[] {name, name + ".gz"}) {
            if (Files.exists(dir.resolve(c))) {
                return dir.resolve(c);
            }
        }
        throw new IllegalArgumentException(name + " not found in " + dir + "; run examples/scripts/fetch-mnist.sh");
    }
}
