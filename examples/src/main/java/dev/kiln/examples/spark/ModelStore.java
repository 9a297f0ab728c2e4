package dev.kiln.examples.spark;

import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.sql.KilnUdfs;
import org.apache.spark.sql.SparkSession;

/**
 * How the examples save, load and expose their models, all through Kiln's Spark ML API: a model directory (any Hadoop
 * FileSystem path) holds Spark's stage metadata with the params, the architecture as a {@code ModelSpec} (JSON data,
 * not code) and the weights as safetensors; {@code KilnModel.load} rebuilds it without deserializing any code.
 */
public final class ModelStore {
    /** MNIST rows: 28 x 28 pixels. */
    static final int MNIST_FEATURES = 784;

    private ModelStore() {
    }

    /**
     * Writes the MNIST model to {@code dir}, replacing what is there. A model trained from a lambda factory gets
     * {@link MnistNet#spec()} first (checked against its weights), and {@code numFeatures} is saved with it: the first
     * layer is not a Linear, so scoring cannot read the input width from the model.
     */
    public static void save(KilnModel model, String dir) throws java.io.IOException {
        if (model.modelSpec() == null) {
            model.setModelSpec(MnistNet.spec());
        }
        if (model.getNumFeatures() == 0) {
            model.setNumFeatures(MNIST_FEATURES);
        }
        model.write().overwrite().save(dir);
    }

    /** Reads a model written by {@link #save} (or any saved {@code KilnModel}). */
    public static KilnModel load(String dir) {
        return KilnModel.load(dir);
    }

    /** Registers {@code name(features)} in SQL: the model's prediction (a double) for a features value. */
    public static void registerUdf(SparkSession spark, String name, KilnModel model) {
        KilnUdfs.register(spark, name, model);
    }
}
