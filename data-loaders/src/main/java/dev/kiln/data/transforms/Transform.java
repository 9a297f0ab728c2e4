package dev.kiln.data.transforms;

import dev.kiln.tensor.Tensor;

/**
 * A function on a batch tensor, like a {@code torchvision.transforms} callable. It returns a new tensor (the
 * caller then frees the input) or the input itself; it must not close its input.
 */
@FunctionalInterface
public interface Transform {
    Tensor apply(Tensor x);

    /** {@code after} applied to this transform's output, like {@code Compose([this, after])}. */
    default Transform andThen(Transform after) {
        return Compose.of(this, after);
    }
}
