package dev.kiln.data;

import java.util.Arrays;
import java.util.List;

/**
 * Several datasets one after another, like {@code torch.utils.data.ConcatDataset}. Lookup is a binary search
 * over the cumulative sizes, so it stays cheap with many parts.
 *
 * @param <T> the sample type
 */
public final class ConcatDataset<T> implements Dataset<T> {
    private final List<Dataset<? extends T>> datasets;
    private final long[] cumulativeSizes;

    public ConcatDataset(List<? extends Dataset<? extends T>> datasets) {
        if (datasets.isEmpty()) {
            throw new IllegalArgumentException("datasets should not be an empty iterable");
        }
        this.datasets = List.copyOf(datasets);
        this.cumulativeSizes = new long[datasets.size()];
        long total = 0;
        for (int i = 0; i < datasets.size(); i++) {
            total += datasets.get(i).size();
            cumulativeSizes[i] = total;
        }
    }

    @Override
    public T get(long index) {
        long size = size();
        if (index < 0 && -index <= size) {
            index += size; // PyTorch accepts negative indices here
        }
        Dataset.checkIndex(index, size);
        int part = partOf(index);
        long start = part == 0 ? 0 : cumulativeSizes[part - 1];
        return datasets.get(part).get(index - start);
    }

    /** The first part whose cumulative size exceeds {@code index} (like Python's bisect_right). */
    private int partOf(long index) {
        int pos = Arrays.binarySearch(cumulativeSizes, index);
        // An exact hit means index is the first element of the next non-empty part; skip empty parts too.
        int part = pos >= 0 ? pos + 1 : -pos - 1;
        while (cumulativeSizes[part] == index) {
            part++;
        }
        return part;
    }

    @Override
    public long size() {
        return cumulativeSizes[cumulativeSizes.length - 1];
    }

    /** Cumulative sizes, like PyTorch's {@code cumulative_sizes} (a copy). */
    public long[] cumulativeSizes() {
        return cumulativeSizes.clone();
    }
}
