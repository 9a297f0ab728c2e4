package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * The gradient formula of one op: given the gradient of the op's output, returns one gradient per input (null
 * where {@link BackwardContext#needs} is false or the input is not differentiable). Declared as a lambda right
 * next to the op's forward code.
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(BackwardContext ctx);
}
