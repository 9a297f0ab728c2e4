package dev.kiln.examples.spark;

import dev.kiln.examples.cli.Cli;
import dev.kiln.examples.cli.Flags;
import dev.kiln.examples.cli.Flags.Kind;
import dev.kiln.examples.cli.ProgressLine;
import dev.kiln.examples.plot.TrainingPlot;
import dev.kiln.spark.ml.KilnEstimator;
import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.train.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The main job, end to end on Spark: MNIST IDX files → Parquet → a Spark DataFrame → the CNN trained by
 * {@link KilnEstimator} across N barrier workers (progress within and after each epoch) → a loss/accuracy PNG next
 * to the model → the model saved, loaded back, and the test set scored through {@code KilnModel.transform} and
 * through a SQL UDF → test accuracy and a confusion matrix. Embedded Spark ({@code local[*]}) by default, any master
 * with {@code --master}; run it with {@code ./kiln mnist}, or with spark-submit (see the README).
 *
 * <p>Exits 0 when done, 2 on a bad command line, 1 on any failure (missing data, too few task slots, accuracy below
 * {@code --min-accuracy}), with one message that says what to do.
 */
public final class MnistJob {
    private MnistJob() {
    }

    static Flags flags() {
        return new Flags("mnist", "Trains a CNN on MNIST with Kiln on Spark (N data-parallel barrier workers), saves "
                + "and reloads the model, scores the test set through KilnModel.transform and a SQL UDF, and prints "
                + "test accuracy and a confusion matrix.")
                .add("master", Kind.STRING, "URL", null, "Spark master: local[*] (the default unless spark-submit "
                        + "set one), local[N], spark://host:7077, yarn, k8s://...")
                .add("workers", Kind.POSITIVE_INT, "2", "data-parallel workers (barrier tasks, one task slot each)")
                .add("epochs", Kind.POSITIVE_INT, "3", "passes over the 60k training images")
                .add("batch-size", Kind.POSITIVE_INT, "B", "64", "rows per step per worker (global batch = workers x B)")
                .add("lr", Kind.POSITIVE_DOUBLE, "LR", "0.001", "Adam's learning rate")
                .add("gamma", Kind.FRACTION, "G", "0.7", "StepLR: the learning rate is multiplied by G after each epoch")
                .add("seed", Kind.LONG, "S", "1", "random seed (initial weights, shuffles, dropout)")
                .add("threads-per-worker", Kind.NON_NEGATIVE_INT, "0", "CPU kernel threads per worker "
                        + "(0: spark.task.cpus)")
                .add("device", Kind.STRING, "DEV", "auto", "cpu | cuda | auto: cuda trains on the GPU Spark assigned "
                        + "each task (spark.task.resource.gpu.amount; needs kiln-tensor-cuda and a driver), auto uses it "
                        + "when there is one and the CPU otherwise")
                .add("data", Kind.PATH, "DIR", "data/mnist", "MNIST's four IDX files (./kiln mnist fetches them to "
                        + "data/mnist; on a cluster only the driver reads them)")
                .add("parquet", Kind.STRING, "DIR", "out/mnist-parquet", "where the Parquet copies go (converted "
                        + "once; on a cluster: a path every executor can read, e.g. hdfs:///kiln/mnist)")
                .add("out", Kind.STRING, "DIR", "out/mnist-job", "output directory: model/ and mnist-cnn.png (on "
                        + "hdfs:// or s3a:// the model goes there and the PNG to out/ on the driver)")
                .add("train-limit", Kind.NON_NEGATIVE_INT, "0", "train on the first N rows only, for a quick try "
                        + "(0: all 60k)")
                .add("min-accuracy", Kind.NON_NEGATIVE_INT, "PCT", "0", "fail (exit 1) when test accuracy is below "
                        + "PCT percent (0: never)");
    }

    public static void main(String[] args) {
        Cli.main(flags(), args, MnistJob::run);
    }

    /** Runs the job; returns the test accuracy in [0, 1]. */
    static double run(Flags.Values a) throws Exception {
        long start = System.nanoTime();
        Timings t = new Timings();
        if (!java.util.Set.of("cpu", "cuda", "auto").contains(a.string("device"))) {
            throw new Flags.UsageException("--device: expected cpu, cuda or auto, got '" + a.string("device") + "'");
        }
        MnistParquet.checkSources(a.path("data"), a.string("parquet")); // fail before Spark starts, not after
        SparkSession spark = session(a);
        try {
            t.lap("Spark start-up");
            Configuration conf = spark.sparkContext().hadoopConfiguration();
            String trainPath = MnistParquet.ensure(a.path("data"), a.string("parquet"), "train", conf);
            String testPath = MnistParquet.ensure(a.path("data"), a.string("parquet"), "t10k", conf);
            t.lap("MNIST to Parquet");
            Dataset<Row> train = spark.read().parquet(trainPath);
            if (a.integer("train-limit") > 0) {
                train = train.limit(a.integer("train-limit"));
            }
            Dataset<Row> test = spark.read().parquet(testPath);
            long trainRows = train.count();
            System.out.printf(Locale.ROOT, "train %,d rows (%s), test %,d rows (%s); master %s%n", trainRows,
                    trainPath, test.count(), testPath, spark.sparkContext().master());

            int workers = a.integer("workers");
            waitForSlots(spark, workers);
            KilnModel trained = train(spark, a, train, trainRows);
            t.lap("training");

            String out = a.string("out");
            String modelDir = out + "/model";
            ModelStore.save(trained, modelDir);
            KilnModel model = ModelStore.load(modelDir);
            System.out.println("model saved to " + modelDir + " and loaded back");
            t.lap("save + load");

            Scores scores = Scores.of(spark, model, test);
            t.lap("scoring 2 x " + scores.total() + " rows");
            scores.print(System.out);

            Path png = localPlotPath(out);
            plot(png, trained.history(), a.integer("epochs"), scores.transformAccuracy());
            System.out.println("curves written to " + png.toAbsolutePath());
            t.print(System.out, (System.nanoTime() - start) / 1e9);
            double min = a.integer("min-accuracy") / 100.0;
            if (scores.transformAccuracy() < min) {
                throw new IllegalStateException(String.format(Locale.ROOT, "test accuracy %.2f%% is below "
                        + "--min-accuracy %d", 100 * scores.transformAccuracy(), a.integer("min-accuracy")));
            }
            return scores.transformAccuracy();
        } finally {
            spark.stop();
        }
    }

    private static KilnModel train(SparkSession spark, Flags.Values a, Dataset<Row> train, long trainRows) {
        int epochs = a.integer("epochs");
        ProgressLine line = new ProgressLine(System.out, false, 0);
        try (ProgressListener progress = new ProgressListener(spark.sparkContext(), trainRows, epochs, line)) {
            try (var net = MnistNet.create(null)) {
                System.out.printf(Locale.ROOT, "training %s on %d workers, %d epochs, global batch %d x %d%n", net,
                        a.integer("workers"), epochs, a.integer("workers"), a.integer("batch-size"));
            }
            return new KilnEstimator()
                    .setModelFactory(MnistNet.factory(progress.accumulator()))
                    .setFeaturesCol("features").setLabelCol("label")
                    .setLoss("cross_entropy").setOptimizer("adam").setLearningRate(a.number("lr"))
                    .setLrScheduler("step").setLrStepSize(1).setLrGamma(a.number("gamma"))
                    .setNumWorkers(a.integer("workers")).setEpochs(epochs).setBatchSize(a.integer("batch-size"))
                    .setThreadsPerWorker(a.integer("threads-per-worker")).setSeed(a.longValue("seed"))
                    .setDevice(a.string("device"))
                    .fit(train);
        }
    }

    private static SparkSession session(Flags.Values a) {
        String master = a.has("master") ? a.string("master") : System.getProperty("spark.master", "local[*]");
        SparkSession.Builder b = SparkSession.builder().appName("kiln-mnist").master(master)
                .config("spark.ui.showConsoleProgress", "false") // Kiln prints its own progress
                .config("spark.sql.shuffle.partitions", "8");
        if (System.getProperty("spark.executor.heartbeatInterval") == null) {
            b.config("spark.executor.heartbeatInterval", "2s"); // progress within an epoch rides on heartbeats
        }
        if (master.startsWith("local") && System.getProperty("spark.driver.host") == null) {
            // Embedded mode: the driver, its tasks and Kiln's ring sockets stay on the loopback interface.
            b.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1");
        }
        return b.getOrCreate();
    }

    /**
     * On a cluster, executors register some seconds after the application starts; the estimator's slot check would
     * fail before then. Waits up to 60 s for executors offering enough cores, then lets the check decide.
     */
    private static void waitForSlots(SparkSession spark, int workers) throws InterruptedException {
        var sc = spark.sparkContext();
        if (sc.isLocal()) {
            return;
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            int executors = sc.getExecutorMemoryStatus().size() - 1; // minus the driver
            if (executors >= 1 && sc.defaultParallelism() >= workers) {
                return;
            }
            Thread.sleep(500);
        }
        System.out.println("waited 60 s for executors with " + workers + " free cores; trying anyway");
    }

    /** {@code <out>/mnist-cnn.png} when {@code out} is local; on a cluster file system, out/ on the driver. */
    static Path localPlotPath(String out) {
        java.net.URI uri = new org.apache.hadoop.fs.Path(out).toUri();
        if (uri.getScheme() == null || uri.getScheme().equals("file")) {
            return Path.of(uri.getPath(), "mnist-cnn.png");
        }
        return Path.of("out", "mnist-cnn.png");
    }

    private static void plot(Path png, List<Progress.Epoch> history, int epochs, double testAccuracy)
            throws java.io.IOException {
        List<Double> x = new ArrayList<>();
        List<Double> loss = new ArrayList<>();
        List<Double> acc = new ArrayList<>();
        for (Progress.Epoch e : history) {
            x.add((double) e.epoch());
            loss.add(e.loss());
            acc.add(100 * e.accuracy());
        }
        TrainingPlot.write(png, "Kiln on Spark, MNIST CNN", epochs,
                List.of(new TrainingPlot.Curve("train loss (epoch mean)", x, loss)),
                List.of(new TrainingPlot.Curve("train accuracy (epoch)", x, acc),
                        new TrainingPlot.Curve("test accuracy (final model)", List.of((double) epochs),
                                List.of(100 * testAccuracy))));
    }

    /** Wall time per phase. */
    private static final class Timings {
        private final List<String> lines = new ArrayList<>();
        private long last = System.nanoTime();

        void lap(String phase) {
            long now = System.nanoTime();
            lines.add(String.format(Locale.ROOT, "  %-28s %7.1f s", phase, (now - last) / 1e9));
            last = now;
        }

        void print(java.io.PrintStream out, double totalSeconds) {
            out.println("wall time by phase:");
            lines.forEach(out::println);
            out.printf(Locale.ROOT, "  %-28s %7.1f s%n", "total (in the JVM)", totalSeconds);
        }
    }
}
