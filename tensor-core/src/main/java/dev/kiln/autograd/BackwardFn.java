package dev.kiln.autograd;

import dev.kiln.tensor.Tensor;

/**
 * The gradient formula of one op: given the gradient of the op's output, returns one gradient per input (null
 * where {@link BackwardContext#needs} is false or the input is not differentiable). Declared as a lambda right
 * next to the op's forward code.
 *
 * <p>The engine frees the incoming gradient once the formula has run, the tensors the formula creates when it
 * returns (except those it returns), and those when their consumers have run: a formula must not keep any of them
 * (in a field or a cache) beyond returning them. Custom ops that need to should be a {@link Function}.
 */
@FunctionalInterface
public interface BackwardFn {
    Tensor[] apply(BackwardContext ctx);
}
