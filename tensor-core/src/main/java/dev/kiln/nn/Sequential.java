package dev.kiln.nn;

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

    @Override
    public Tensor forward(Tensor input) {
        Tensor x = input;
        for (Module m : ownChildren().values()) {
            x = m.forward(x);
        }
        return x;
    }
}
