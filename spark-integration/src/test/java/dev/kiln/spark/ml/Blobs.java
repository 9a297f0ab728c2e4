package dev.kiln.spark.ml;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Small synthetic classification data: {@code classes} Gaussian blobs in {@code dim} dimensions. */
final class Blobs {
    private Blobs() {
    }

    static StructType schema() {
        return new StructType().add("features", SQLDataTypes.VectorType(), false)
                .add("label", DataTypes.IntegerType, false);
    }

    static List<Row> rows(int n, int dim, int classes, long seed) {
        Random r = new Random(seed);
        double[][] centers = new double[classes][dim];
        for (double[] c : centers) {
            for (int j = 0; j < dim; j++) {
                c[j] = 4 * r.nextGaussian();
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int y = i % classes;
            double[] x = new double[dim];
            for (int j = 0; j < dim; j++) {
                x[j] = centers[y][j] + r.nextGaussian();
            }
            rows.add(RowFactory.create(Vectors.dense(x), y));
        }
        return rows;
    }

    /** The rows as a DataFrame of exactly {@code partitions} partitions, in order (contiguous slices). */
    static Dataset<Row> frame(SparkSession spark, List<Row> rows, int partitions) {
        return spark.createDataFrame(new org.apache.spark.api.java.JavaSparkContext(spark.sparkContext())
                .parallelize(rows, partitions), schema());
    }
}
