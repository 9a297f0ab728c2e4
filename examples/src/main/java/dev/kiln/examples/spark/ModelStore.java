package dev.kiln.examples.spark;

import dev.kiln.spark.ml.KilnModel;
import dev.kiln.spark.train.ModelFactory;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;

/**
 * Saving, loading and SQL registration of the examples' models: the one place that changes when Kiln's Spark
 * inference layer (ModelSpec persistence, {@code KilnUdfs}) is on main.
 *
 * <p>TODO(inference merge): replace the bodies with the library's API and delete the interim format:
 * <pre>{@code
 * save:        model.write().overwrite().save(dir);
 * load:        KilnModel.load(dir);                       // the architecture comes from the saved ModelSpec
 * registerUdf: KilnUdfs.register(spark, name, model);
 * }</pre>
 * Until then a model directory holds {@code weights.safetensors} (the state dict, loadable in PyTorch) and
 * {@code architecture.txt} naming the network, on any Hadoop FileSystem path.
 */
public final class ModelStore {
    static final String WEIGHTS = "weights.safetensors";
    static final String ARCHITECTURE = "architecture.txt";
    private static final String MNIST_NET = "dev.kiln.examples.spark.MnistNet";

    private ModelStore() {
    }

    /** Writes {@code model} to {@code dir}, replacing what is there. */
    public static void save(KilnModel model, String dir, Configuration conf) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(conf);
        if (fs.exists(root)) {
            fs.delete(root, true);
        }
        fs.mkdirs(root);
        write(fs, new Path(root, WEIGHTS), model.stateDictBytes());
        write(fs, new Path(root, ARCHITECTURE), (MNIST_NET + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a model written by {@link #save}; the error names the directory and what is missing. */
    public static KilnModel load(String dir, Configuration conf) throws IOException {
        Path root = new Path(dir);
        FileSystem fs = root.getFileSystem(conf);
        Path weights = new Path(root, WEIGHTS);
        Path arch = new Path(root, ARCHITECTURE);
        if (!fs.exists(weights) || !fs.exists(arch)) {
            throw new IOException("no saved model in " + dir + ": expected " + WEIGHTS + " and " + ARCHITECTURE
                    + " (written by the mnist job's --out)");
        }
        String name = new String(read(fs, arch), StandardCharsets.UTF_8).strip();
        ModelFactory factory = switch (name) {
            case MNIST_NET -> MnistNet.factory(null);
            default -> throw new IOException(dir + "/" + ARCHITECTURE + " names '" + name + "'; this build knows "
                    + MNIST_NET);
        };
        return KilnModel.of(factory, read(fs, weights));
    }

    /** Registers {@code name(features)} in SQL: the predicted class (a double) for an array of 784 pixels. */
    public static void registerUdf(SparkSession spark, String name, KilnModel model) {
        spark.udf().register(name, (UDF1<scala.collection.Seq<Object>, Double>) features -> classify(model, features),
                DataTypes.DoubleType);
    }

    private static Double classify(KilnModel model, scala.collection.Seq<Object> features) {
        if (features == null) {
            return null;
        }
        float[] x = new float[features.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = ((Number) features.apply(i)).floatValue();
        }
        try (TensorScope scope = TensorScope.open()) {
            return model.predict(Tensor.of(x).view(1, x.length)).argmax(-1, false).item();
        }
    }

    private static void write(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(file, true)) {
            out.write(bytes);
        }
    }

    private static byte[] read(FileSystem fs, Path file) throws IOException {
        try (InputStream in = fs.open(file); ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        }
    }
}
