package dev.kiln.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import dev.kiln.Kiln;
import dev.kiln.nn.Module;
import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.ml.ModelSpec;
import dev.kiln.spark.sql.BatchScoring;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.MultilayerPerceptronClassificationModel;
import org.apache.spark.ml.classification.MultilayerPerceptronClassifier;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Scoring rows/s of the MNIST MLP (784-256-128-10, random weights: speed does not depend on them) on 200k cached
 * MNIST-like rows (dense 784-vectors, ~80% zeros) in Spark {@code local[2]}, every prediction forced by an aggregate
 * over the prediction column ({@code transform(df).count()} could let Spark prune the work). In the same run,
 * alternately, median of {@code runs}:
 *
 * <ul>
 *   <li>{@code KilnModel.transform}, prediction column only, and with rawPrediction + probability too;</li>
 *   <li>{@code model.udf()}, the scalar SQL path;</li>
 *   <li>a naive UDF: per row, a new tensor from the vector and {@code forward} with autograd on (one module per
 *       thread, so it is at least thread-safe);</li>
 *   <li>MLlib's {@code MultilayerPerceptronClassificationModel.transform} with the same layer sizes.</li>
 * </ul>
 * Then where {@code transform}'s task time goes ({@link BatchScoring#profile()}). Args: {@code [rows] [runs] [name
 * filter]} (only the paths whose name contains the filter run).
 */
public final class ScoringBench {
    static final int N = 784;
    static final ModelSpec MLP = ModelSpec.mlp(N, 256, 128, 10);

    private ScoringBench() {
    }

    public static void main(String[] args) {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        SparkSession spark = SparkSession.builder().master("local[2]").appName("ScoringBench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").config("spark.sql.shuffle.partitions", "2")
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        // NOTE: bind Kiln's OpenBLAS symbols before MLlib's netlib loads the system libblas.so.3: measured here, a
        // JVM whose first Kiln GEMM comes after that load resolves cblas_sgemm to the reference BLAS, ~20x slower.
        try (TensorScope scope = TensorScope.open()) {
            Tensor.rand(64, 64).matmul(Tensor.rand(64, 64));
        }
        Dataset<Row> df = data(spark, rows, 8).cache();
        System.out.printf("cached %,d rows x %d features in %d partitions%n", df.count(), N, df.rdd().getNumPartitions());
        Kiln.manualSeed(0);
        KilnModel kiln;
        try (Module m = MLP.create()) {
            kiln = KilnModel.of(MLP, m);
        }
        KilnModel kilnPredictionOnly = kiln.copy(new org.apache.spark.ml.param.ParamMap()).setProbabilityCol("")
                .setRawPredictionCol("");
        MultilayerPerceptronClassificationModel mllib = new MultilayerPerceptronClassifier()
                .setLayers(new int[] {N, 256, 128, 10}).setMaxIter(1).setSeed(1)
                .fit(df.limit(2000).withColumn("label", functions.floor(functions.rand(1).multiply(10)).cast("double")));
        UserDefinedFunction naive = functions.udf(new NaiveUdf(), DataTypes.DoubleType);
        UserDefinedFunction udf = kiln.udf();

        List<String> names = List.of("KilnModel.transform (prediction)", "KilnModel.transform (+probability, raw)",
                "model.udf()", "naive per-row UDF", "MLlib MLP transform");
        List<Supplier<Double>> ops = List.of(
                () -> kilnPredictionOnly.transform(df).agg(sum("prediction")).first().getDouble(0),
                () -> kiln.transform(df).agg(sum("prediction")).first().getDouble(0),
                () -> df.select(udf.apply(col("features")).as("p")).agg(sum("p")).first().getDouble(0),
                () -> df.select(naive.apply(col("features")).as("p")).agg(sum("p")).first().getDouble(0),
                () -> mllib.transform(df).agg(sum("prediction")).first().getDouble(0));
        String filter = args.length > 2 ? args[2] : "";
        double[][] seconds = new double[ops.size()][runs];
        double[] sums = new double[ops.size()];
        for (int k = 0; k < ops.size(); k++) { // warm-up, and the sums must agree for the Kiln paths
            sums[k] = names.get(k).contains(filter) ? ops.get(k).get() : Double.NaN;
        }
        BatchScoring.Profile profile = null;
        for (int r = 0; r < runs; r++) {
            for (int k = 0; k < ops.size(); k++) {
                if (!names.get(k).contains(filter)) {
                    seconds[k][r] = Double.NaN;
                    continue;
                }
                BatchScoring.resetProfile();
                long t0 = System.nanoTime();
                ops.get(k).get();
                seconds[k][r] = (System.nanoTime() - t0) / 1e9;
                if (k == 0 && r == runs - 1) {
                    profile = BatchScoring.profile();
                }
            }
        }
        report(names, seconds, sums, rows, profile);
        System.out.printf(Locale.ROOT, "model replicas in this JVM (local[2]: 2 task slots): %s, %.2f MB of weights%n",
                kiln.replicaStats(),
                dev.kiln.spark.sql.ModelReplicas.allocatedBytes() / 1e6);
        spark.stop();
    }

    private static void report(List<String> names, double[][] seconds, double[] sums, int rows,
                               BatchScoring.Profile p) {
        double[] rate = new double[names.size()];
        System.out.printf("%n| scoring path (%,d rows, local[2]) | rows/s | s (median) | sum(prediction) |%n", rows);
        System.out.println("|---|---:|---:|---:|");
        for (int k = 0; k < names.size(); k++) {
            double s = Timing.median(seconds[k]);
            rate[k] = rows / s;
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %.0f |%n", names.get(k), rate[k], s, sums[k]);
        }
        System.out.printf(Locale.ROOT, "%ntransform / naive UDF = %.1fx (target >= 10x); transform / MLlib = %.1fx "
                + "(target >= 3x); transform / model.udf() = %.1fx%n", rate[0] / rate[3], rate[0] / rate[4],
                rate[0] / rate[2]);
        if (sums[0] != sums[1] || sums[0] != sums[2] || sums[0] != sums[3]) {
            System.out.println("WARNING: the Kiln paths disagree on sum(prediction)");
        }
        System.out.printf(Locale.ROOT, "transform's task time (summed over tasks, %,d rows): %.2f s; filling batches "
                + "(Spark's scan of the cached rows, features into Arrow, row copies) %.0f%%, forward %.0f%%, handing "
                + "out rows + the aggregate %.0f%%%n", p.rows(), p.taskSeconds(), 100 * p.fillSeconds() / p.taskSeconds(),
                100 * p.forwardSeconds() / p.taskSeconds(),
                100 * (p.taskSeconds() - p.fillSeconds() - p.forwardSeconds()) / p.taskSeconds());
    }

    /** MNIST-like rows: 784 values, ~80% zero, the rest k/255. */
    static Dataset<Row> data(SparkSession spark, int rows, int partitions) {
        List<Integer> parts = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            parts.add(i);
        }
        JavaRDD<Row> rdd = new JavaSparkContext(spark.sparkContext()).parallelize(parts, partitions)
                .flatMap(p -> {
                    Random rnd = new Random(p);
                    int n = rows / partitions + (p < rows % partitions ? 1 : 0);
                    List<Row> out = new ArrayList<>(n);
                    for (int i = 0; i < n; i++) {
                        double[] x = new double[N];
                        for (int j = 0; j < N; j++) {
                            x[j] = rnd.nextInt(5) == 0 ? (1 + rnd.nextInt(255)) / 255.0 : 0;
                        }
                        out.add(RowFactory.create(Vectors.dense(x)));
                    }
                    return out.iterator();
                });
        return spark.createDataFrame(rdd, new StructType().add("features", SQLDataTypes.VectorType(), false));
    }

    /** What a first attempt looks like: a tensor per row, forward with autograd on, argmax. */
    static final class NaiveUdf implements UDF1<Vector, Double> {
        private static final ThreadLocal<Module> MODEL = ThreadLocal.withInitial(() -> {
            synchronized (NaiveUdf.class) { // the same weights as the Kiln model: seed 0, nothing drawn in between
                Kiln.manualSeed(0);
                return MLP.create();
            }
        });

        @Override
        public Double call(Vector v) {
            double[] d = v.toArray();
            float[] x = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                x[i] = (float) d[i];
            }
            try (TensorScope scope = TensorScope.open()) {
                return MODEL.get().forward(Tensor.of(x).view(1, x.length)).argmax(1, false).item();
            }
        }
    }
}
