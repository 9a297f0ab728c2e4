package dev.kiln.nn;

import dev.kiln.autograd.Graph;
import dev.kiln.ops.Linalg;
import dev.kiln.tensor.LeakTracking;
import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * Chains modules: {@code forward(x) = m_{n-1}(...m_1(m_0(x)))}, like {@code torch.nn.Sequential}. Children are
 * named {@code "0"}, {@code "1"}, ..., so state-dict keys are {@code 0.weight}, {@code 2.bias} as in PyTorch.
 */
public class Sequential extends Module {
    public Sequential(Module... modules) {
        for (Module m : modules) {
            append(m);
        }
    }

    /** Adds {@code module} at the end under the next index, like {@code Sequential.append}. */
    public Sequential append(Module module) {
        registerModule(Integer.toString(ownChildren().size()), module);
        return this;
    }

    public Module get(int index) {
        List<Module> c = children();
        int i = index < 0 ? index + c.size() : index;
        if (i < 0 || i >= c.size()) {
            throw new IndexOutOfBoundsException("index " + index + " is out of range for Sequential of length " + c.size());
        }
        return c.get(i);
    }

    public int size() {
        return ownChildren().size();
    }

    /**
     * Runs the children in order. A {@link Linear} directly followed by a {@link ReLU} (both exactly those classes, so
     * an overridden {@code forward} is never skipped) runs as one fused op when no gradient is needed (under
     * {@code Autograd.noGrad()}, or when neither the input nor the layer's parameters require grad): the ReLU is
     * applied in the same pass that adds the bias ({@link Linalg#linearRelu}). A {@link ReLU} and a {@link MaxPool2d}
     * next to each other, in either order (exact classes again), always run as one op, in training too
     * ({@code Pooling.reluMaxPool2d}: one pass forward, one backward, no full-size ReLU output; ReLU is monotone, so
     * it commutes with the maximum, and the gradients of both orders are the same as well). Either way the values and
     * gradients are those of running the modules one by one; only the graph's node names differ for the fused pair.
     */
    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        Module[] ms = ownChildren().values().toArray(new Module[0]);
        for (int i = 0; i < ms.length; i++) {
            if (i + 1 < ms.length && fusesWithRelu(ms[i], ms[i + 1], x)) {
                x = linearRelu((Linear) ms[i], x);
                i++; // the ReLU ran in the fused op
            } else if (i + 1 < ms.length && ms[i].getClass() == ReLU.class && ms[i + 1].getClass() == MaxPool2d.class) {
                x = ((MaxPool2d) ms[i + 1]).forwardWithRelu(x); // one pass, same values and gradients
                i++;
            } else if (i + 1 < ms.length && ms[i].getClass() == MaxPool2d.class && ms[i + 1].getClass() == ReLU.class) {
                x = ((MaxPool2d) ms[i]).forwardWithRelu(x); // relu(max) = max(relu): the same op, either order
                i++;
            } else {
                x = ms[i].forward(x);
            }
            // An activation passed on to the next module: left to the caller's scope (or to autograd, which saves
            // what backward needs), as PyTorch leaves it to reference counting; not a temporary the module forgot.
            LeakTracking.handedOut(x);
        }
        return x;
    }

    /** True when {@code m} then {@code next} is Linear-then-ReLU and running them on {@code x} records no graph. */
    private static boolean fusesWithRelu(Module m, Module next, Tensor x) {
        if (m.getClass() != Linear.class || next.getClass() != ReLU.class) {
            return false;
        }
        Linear lin = (Linear) m;
        return !Graph.needsGrad(x, lin.weight(), lin.bias());
    }

    private static Tensor linearRelu(Linear lin, Tensor x) {
        return Linalg.linearRelu(x, lin.weight(), lin.bias());
    }
}
