package dev.kiln.data;

import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The default way samples become a {@link Batch}, like {@code torch.utils.data.default_collate}:
 *
 * <ul>
 *   <li>tensor samples are stacked along a new first dimension: {@code n} tensors of shape {@code s} give one
 *       {@code [n, *s]} tensor;</li>
 *   <li>list (tuple) samples are collated field by field: {@code (x, y)} samples give a batch of {@code (X, Y)};</li>
 *   <li>numbers become a 1-d tensor: integers as int64, floating point as float64 (PyTorch's rule).</li>
 * </ul>
 */
public final class Collate {
    private Collate() {
    }

    /** Collates {@code samples} into a batch; the result tensors are new (the samples are not retained). */
    public static <T> Batch defaultCollate(List<T> samples) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("default_collate: cannot collate an empty list of samples");
        }
        Object first = samples.get(0);
        if (!(first instanceof List<?> fields)) {
            return Batch.of(collateField(new ArrayList<>(samples), "sample"));
        }
        List<Tensor> out = new ArrayList<>(fields.size());
        for (int f = 0; f < fields.size(); f++) {
            out.add(collateField(column(samples, f, fields.size()), "field " + f));
        }
        return new Batch(out);
    }

    /** Field {@code f} of every (list) sample, checking that all samples have the same number of fields. */
    private static List<Object> column(List<?> samples, int f, int width) {
        List<Object> col = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            if (!(samples.get(i) instanceof List<?> fields) || fields.size() != width) {
                throw new IllegalArgumentException("default_collate: each element in list of batch should be of "
                        + "equal size; sample 0 has " + width + " fields but sample " + i + " is " + samples.get(i));
            }
            col.add(fields.get(f));
        }
        return col;
    }

    private static Tensor collateField(List<Object> values, String what) {
        Object first = values.get(0);
        if (first instanceof Tensor) {
            return stackTensors(values, what);
        }
        if (first instanceof Number) {
            return numbersToTensor(values, what);
        }
        throw new IllegalArgumentException("default_collate: " + what + " has unsupported type "
                + (first == null ? "null" : first.getClass().getName())
                + "; expected Tensor, Number or a List of them (pass a custom collate function)");
    }

    private static Tensor stackTensors(List<Object> values, String what) {
        List<Tensor> tensors = new ArrayList<>(values.size());
        long[] shape = ((Tensor) values.get(0)).shape();
        for (int i = 0; i < values.size(); i++) {
            if (!(values.get(i) instanceof Tensor t)) {
                throw new IllegalArgumentException("default_collate: " + what + " of sample 0 is a Tensor but of sample "
                        + i + " is " + values.get(i));
            }
            if (!java.util.Arrays.equals(t.shape(), shape)) {
                throw new IllegalArgumentException("default_collate: " + what + " has shape " + Shapes.str(shape)
                        + " in sample 0 but " + Shapes.str(t.shape()) + " in sample " + i
                        + "; stacking needs equal shapes (pad them or pass a custom collate function)");
            }
            tensors.add(t);
        }
        return Tensor.stack(tensors, 0);
    }

    private static Tensor numbersToTensor(List<Object> values, String what) {
        boolean integral = values.stream().allMatch(v -> v instanceof Long || v instanceof Integer
                || v instanceof Short || v instanceof Byte);
        if (integral) {
            return Tensor.of(values.stream().mapToLong(v -> ((Number) v).longValue()).toArray());
        }
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(values.get(i) instanceof Number n)) {
                throw new IllegalArgumentException("default_collate: " + what + " mixes numbers and " + values.get(i));
            }
            out[i] = n.doubleValue();
        }
        return Tensor.of(out);
    }
}
