package dev.kiln.examples.spark;

import dev.kiln.nn.Conv2d;
import dev.kiln.nn.Dropout;
import dev.kiln.nn.Flatten;
import dev.kiln.nn.Linear;
import dev.kiln.nn.MaxPool2d;
import dev.kiln.nn.ReLU;
import dev.kiln.nn.Sequential;
import dev.kiln.spark.ml.ModelSpec;
import dev.kiln.spark.train.ModelFactory;
import org.apache.spark.util.LongAccumulator;

/**
 * The Spark job's CNN: the plain-Java {@code MnistCnn} network (conv 5x5 1→32, pool, conv 5x5 32→64, pool, dropout,
 * fc 3136→128, fc 128→10) behind {@link MnistInput}, which takes the Parquet rows as they are. State-dict keys are
 * PyTorch's for the same {@code nn.Sequential} ({@code 1.weight} is the first convolution's).
 */
public final class MnistNet {
    private MnistNet() {
    }

    /** The network; {@code rowsSeen} (may be null) counts training rows for progress. */
    public static Sequential create(LongAccumulator rowsSeen) {
        return new Sequential(new MnistInput(rowsSeen),
                new Conv2d(1, 32, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Conv2d(32, 64, 5, 1, 2), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Dropout(0.25),
                new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
    }

    /** A factory for {@code KilnEstimator} (serializable: it is called on the driver and in every task). */
    public static ModelFactory factory(LongAccumulator rowsSeen) {
        return () -> create(rowsSeen);
    }

    /**
     * The same architecture as data, which is what a saved model stores and what {@code KilnModel.load} rebuilds
     * (with a plain {@link MnistInput}, which counts nothing).
     */
    public static ModelSpec spec() {
        return ModelSpec.sequential(ModelSpec.of(MnistInput.class.getName()),
                ModelSpec.of("Conv2d", 1, 32, 5, 1, 2), ModelSpec.of("ReLU"), ModelSpec.of("MaxPool2d", 2),
                ModelSpec.of("Conv2d", 32, 64, 5, 1, 2), ModelSpec.of("ReLU"), ModelSpec.of("MaxPool2d", 2),
                ModelSpec.of("Flatten"), ModelSpec.of("Dropout", 0.25),
                ModelSpec.of("Linear", 64 * 7 * 7, 128), ModelSpec.of("ReLU"), ModelSpec.of("Linear", 128, 10));
    }
}
