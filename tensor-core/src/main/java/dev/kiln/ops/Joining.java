package dev.kiln.ops;

import dev.kiln.tensor.Tensor;
import java.util.List;

/** Ops that join or split tensors along a dim: cat, stack, split, chunk. */
public final class Joining {
    private Joining() {
    }

    public static Tensor cat(List<Tensor> tensors, long dim) {
        throw new UnsupportedOperationException("cat: not implemented yet");
    }

    public static Tensor stack(List<Tensor> tensors, long dim) {
        throw new UnsupportedOperationException("stack: not implemented yet");
    }

    public static List<Tensor> split(Tensor t, long splitSize, long dim) {
        throw new UnsupportedOperationException("split: not implemented yet");
    }

    public static List<Tensor> split(Tensor t, long[] sizes, long dim) {
        throw new UnsupportedOperationException("split: not implemented yet");
    }

    public static List<Tensor> chunk(Tensor t, long chunks, long dim) {
        throw new UnsupportedOperationException("chunk: not implemented yet");
    }
}
