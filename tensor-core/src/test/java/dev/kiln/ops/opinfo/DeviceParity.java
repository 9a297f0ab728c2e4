package dev.kiln.ops.opinfo;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The device-parity harness every backend's tests share (tensor-core's stand-in device, tensor-cuda's GPU): an op
 * table sample runs on the CPU and on another device, and outputs and input gradients must agree.
 */
public final class DeviceParity {
    private DeviceParity() {
    }

    /**
     * Runs {@code s} on the CPU and, through {@code toDevice}/{@code toCpu}, on another device; compares the outputs
     * and the gradients of the differentiable arguments for the upstream gradient 0.5.
     */
    public static void check(Sample s, DType dtype, UnaryOperator<Tensor> toDevice, UnaryOperator<Tensor> toCpu, double tol) {
        List<double[]> drawn = s.draw();
        List<Tensor> cpu = s.inputs(drawn, dtype, true);
        List<Tensor> dev = new ArrayList<>();
        for (int i = 0; i < cpu.size(); i++) {
            Tensor moved = toDevice.apply(cpu.get(i).detach());
            dev.add(s.args().get(i).grad() ? moved.requiresGrad_(true) : moved);
        }
        Tensor yCpu = s.run(cpu);
        Tensor yDev = s.run(dev);
        String what = s.key() + " (" + dtype.torchName() + ")";
        compare(what + " output", yCpu, toCpu.apply(yDev), tol);
        if (!s.differentiable() || !yCpu.dtype().isFloatingPoint()) {
            return;
        }
        Tensor g = Tensor.onesLike(yCpu).mul(0.5);
        List<Tensor> gCpu = grads(s, cpu, yCpu, g);
        List<Tensor> gDev = grads(s, dev, yDev, toDevice.apply(g));
        for (int i = 0; i < gCpu.size(); i++) {
            compare(what + " gradient " + i, gCpu.get(i), toCpu.apply(gDev.get(i)), tol);
        }
    }

    private static void compare(String what, Tensor expected, Tensor got, double tol) {
        if (!java.util.Arrays.equals(expected.shape(), got.shape())) {
            throw new AssertionError(what + ": shape " + java.util.Arrays.toString(got.shape()) + ", expected "
                    + java.util.Arrays.toString(expected.shape()));
        }
        if (got.device().isCuda()) {
            throw new AssertionError(what + " was not moved back to the CPU");
        }
        Checks.assertClose(what, got, expected.shape(), expected.contiguous().toDoubleArray(), tol);
    }

    private static List<Tensor> grads(Sample s, List<Tensor> x, Tensor y, Tensor g) {
        List<Tensor> diff = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            if (s.args().get(i).grad()) {
                diff.add(x.get(i));
            }
        }
        List<Tensor> got = Autograd.grad(List.of(y), diff, List.of(g), false, false);
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < diff.size(); i++) {
            out.add(got.get(i) != null ? got.get(i) : Tensor.zerosLike(diff.get(i))); // unused input: zeros there
        }
        return out;
    }
}
