package dev.kiln.examples.spark;

import dev.kiln.nn.Module;
import dev.kiln.tensor.Tensor;
import org.apache.spark.util.LongAccumulator;

/**
 * The first layer of the Spark job's network: takes MNIST rows as Parquet stores them ({@code [N, 784]} pixels in
 * [0, 1]), normalizes them like PyTorch's {@code transforms.Normalize((0.1307,), (0.3081,))} and reshapes them to
 * the {@code [N, 1, 28, 28]} images a {@code Conv2d} expects. Keeping this inside the model makes the saved model
 * self-contained: batch scoring feeds it the same raw Parquet column, with no preprocessing to repeat.
 *
 * <p>While training, it can also count the rows it sees into a Spark accumulator, which the driver reads from
 * executor heartbeats to show progress within an epoch (see {@link ProgressListener}); in eval mode, and when built
 * without an accumulator, it counts nothing. It has no parameters, so the state dict is the same either way.
 */
public class MnistInput extends Module {
    /** MNIST's pixel mean and standard deviation over the training set. */
    public static final double MEAN = 0.1307;
    public static final double STD = 0.3081;

    private final LongAccumulator rowsSeen;

    /** Normalize and reshape only (what a saved model is rebuilt with). */
    public MnistInput() {
        this(null);
    }

    /** Also counts training rows into {@code rowsSeen} (null: no counting). */
    public MnistInput(LongAccumulator rowsSeen) {
        this.rowsSeen = rowsSeen;
    }

    @Override
    public Tensor forward(Tensor input) {
        if (input.dim() != 2 || input.size(1) != 784) {
            throw new IllegalArgumentException("MnistInput expects [N, 784] pixel rows, got "
                    + java.util.Arrays.toString(input.shape()));
        }
        if (rowsSeen != null && isTraining()) {
            rowsSeen.add(input.size(0));
        }
        return input.sub(MEAN).div(STD).view(input.size(0), 1, 28, 28);
    }
}
