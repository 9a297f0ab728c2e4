package dev.kiln.ops.opinfo;

import static dev.kiln.ops.opinfo.Arg.normal;
import static dev.kiln.ops.opinfo.OpInfo.op;
import static dev.kiln.ops.opinfo.OpInfo.s;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * Nodes the engine makes around ops rather than for one op: in-place writes through a view ({@code CopySlices}), a
 * view regenerated after its base changed ({@code AsStridedBackward0}), and a gradient formula that is itself
 * differentiated ({@code ThresholdBackwardBackward0}, double backward through ReLU).
 */
final class AutogradOps {
    private AutogradOps() {
    }

    static List<OpInfo> all() {
        return List.of(
            op("copy_slices").samples(
                s("mul_ through a narrow of a non-leaf", x -> {
                    Tensor y = x.get(0).mul(1.0);
                    y.narrow(1, 1, 2).mul_(x.get(1));
                    return y;
                }, "(lambda y: (y.narrow(1, 1, 2).mul_(x1), y)[1])(x0 * 1.0)", normal(2, 4), normal(2, 2))),
            op("as_strided_view").samples(
                s("select after its base was modified in place", x -> {
                    Tensor y = x.get(0).mul(1.0);
                    Tensor row = y.select(0, 0);
                    y.mul_(x.get(1));
                    return row;
                }, "(lambda y: (lambda row: (y.mul_(x1), row)[1])(y[0]))(x0 * 1.0)", normal(2, 3), normal(2, 3))),
            op("relu_double_backward").samples(
                s("grad of relu with create_graph", x -> {
                    try (var g = Autograd.enableGrad()) {
                        return Autograd.grad(List.of(x.get(0).relu()), List.of(x.get(0)), List.of(x.get(1)), true,
                                true).get(0);
                    }
                }, "torch.autograd.grad(x0.relu(), x0, x1, create_graph=True)[0]", normal(2, 3), normal(2, 3))));
    }
}
