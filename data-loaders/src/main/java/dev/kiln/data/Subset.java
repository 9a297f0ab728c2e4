package dev.kiln.data;

/**
 * The samples of {@code dataset} at {@code indices}, in that order, like {@code torch.utils.data.Subset}.
 *
 * @param <T> the sample type
 */
public final class Subset<T> implements Dataset<T> {
    private final Dataset<T> dataset;
    private final long[] indices;

    public Subset(Dataset<T> dataset, long[] indices) {
        for (long i : indices) {
            if (i < 0 || i >= dataset.size()) {
                throw new IndexOutOfBoundsException("Subset index " + i + " is out of range for dataset of size "
                        + dataset.size());
            }
        }
        this.dataset = dataset;
        this.indices = indices.clone();
    }

    @Override
    public T get(long index) {
        Dataset.checkIndex(index, indices.length);
        return dataset.get(indices[(int) index]);
    }

    @Override
    public long size() {
        return indices.length;
    }

    public Dataset<T> dataset() {
        return dataset;
    }

    /** The indices into {@link #dataset()} (a copy). */
    public long[] indices() {
        return indices.clone();
    }
}
