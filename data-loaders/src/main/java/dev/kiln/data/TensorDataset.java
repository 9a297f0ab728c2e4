package dev.kiln.data;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensors that share their first dimension, like {@code torch.utils.data.TensorDataset}: sample {@code i} is the
 * list of the {@code i}-th rows, as views (no copy). The dataset does not own the tensors; their creator closes
 * them after the loader is done.
 */
public final class TensorDataset implements Dataset<List<Tensor>> {
    private final List<Tensor> tensors;
    private final long size;

    public TensorDataset(Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("TensorDataset needs at least one tensor");
        }
        for (Tensor t : tensors) {
            if (t.dim() == 0) {
                throw new IllegalArgumentException("TensorDataset tensors need a first dimension; got a 0-d tensor");
            }
        }
        this.size = tensors[0].size(0);
        for (int i = 1; i < tensors.length; i++) {
            if (tensors[i].size(0) != size) {
                throw new IllegalArgumentException("Size mismatch between tensors: tensor 0 has shape "
                        + Shapes.str(tensors[0].shape()) + " but tensor " + i + " has shape "
                        + Shapes.str(tensors[i].shape()) + " (the first dimension must match)");
            }
        }
        this.tensors = List.of(tensors);
    }

    /** The {@code index}-th row of every tensor, as views sharing their storage. */
    @Override
    public List<Tensor> get(long index) {
        Dataset.checkIndex(index, size);
        List<Tensor> rows = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            rows.add(t.select(0, index));
        }
        return rows;
    }

    @Override
    public long size() {
        return size;
    }

    /** The wrapped tensors, in order. */
    public List<Tensor> tensors() {
        return tensors;
    }
}
