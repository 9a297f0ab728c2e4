package dev.kiln.data;

import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * One collated mini-batch: its tensors in sample-field order (for {@code (features, label)} samples,
 * {@link #features()} then {@link #labels()}). The batch owns its tensors, which belong to no
 * {@code TensorScope}; {@link #close()} frees them, so consume batches in try-with-resources:
 *
 * <pre>{@code
 * for (Batch batch : loader) {
 *     try (batch) {
 *         Tensor loss = lossFn(model.forward(batch.features()), batch.labels());
 *         ...
 *     }
 * }
 * }</pre>
 *
 * @param tensors the batch's tensors, each with the batch as its first dimension
 */
public record Batch(List<Tensor> tensors) implements AutoCloseable {
    public Batch {
        tensors = List.copyOf(tensors);
    }

    public static Batch of(Tensor... tensors) {
        return new Batch(List.of(tensors));
    }

    /** The {@code i}-th field of the samples, stacked. */
    public Tensor get(int i) {
        if (i < 0 || i >= tensors.size()) {
            throw new IndexOutOfBoundsException("batch has " + tensors.size() + " tensors, no index " + i);
        }
        return tensors.get(i);
    }

    /** The first field (the inputs). */
    public Tensor features() {
        return get(0);
    }

    /** The second field (the targets); an error for batches of single-tensor samples. */
    public Tensor labels() {
        if (tensors.size() < 2) {
            throw new IllegalStateException("batch has " + tensors.size() + " tensor(s) and no labels; samples were "
                    + "single tensors, not (features, label) pairs");
        }
        return tensors.get(1);
    }

    /** Number of samples (the first dimension of the first tensor). */
    public long batchSize() {
        return tensors.isEmpty() || tensors.get(0).dim() == 0 ? 0 : tensors.get(0).size(0);
    }

    /** Frees every tensor of the batch; idempotent. */
    @Override
    public void close() {
        for (Tensor t : tensors) {
            t.close();
        }
    }
}
