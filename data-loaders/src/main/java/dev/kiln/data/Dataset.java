package dev.kiln.data;

/**
 * A map-style dataset, like {@code torch.utils.data.Dataset}: {@link #size()} samples addressed by index.
 *
 * <p>{@link #get(long)} may be called from DataLoader worker threads concurrently, so implementations must be
 * thread-safe for reads. Tensors it creates belong to the caller's {@code TensorScope} (the loader opens one per
 * batch and frees them once the batch is collated).
 *
 * @param <T> the sample type, e.g. {@code Tensor} or {@code List<Tensor>} (features, label)
 */
public interface Dataset<T> {
    /** The sample at {@code index}, in {@code [0, size())}. */
    T get(long index);

    /** The number of samples, like {@code len(dataset)}. */
    long size();

    /** Throws a PyTorch-style IndexError message when {@code index} is outside {@code [0, size)}. */
    static void checkIndex(long index, long size) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " is out of range for dataset of size " + size);
        }
    }
}
