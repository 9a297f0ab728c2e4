package dev.kiln.optim;

import static dev.kiln.testing.Assertions.assertClose;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.List;
import java.util.function.Function;

/**
 * The fixed problem every optimizer golden uses: {@code f(p) = sum(0.5 A (p - C)^2 + 0.1/3 p^3)} from the numpy
 * generators' {@code opt.A}, {@code opt.C}, {@code opt.p0}; five steps, each compared with {@code NAME.stepK}.
 */
final class GoldenQuadratic {
    private static final double TOL = 1e-6;

    private GoldenQuadratic() {
    }

    static void run(Function<String, Tensor> tensor, Function<String, double[]> values, String name,
                    Function<List<Tensor>, Optimizer> make) {
        Tensor a = tensor.apply("opt.A");
        Tensor c = tensor.apply("opt.C");
        Tensor p = TensorScope.detach(tensor.apply("opt.p0").clone()).requiresGrad_(true);
        try (p; Optimizer opt = make.apply(List.of(p))) {
            for (int step = 1; step <= 5; step++) {
                try (var s = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor d = p.sub(c);
                    a.mul(d).mul(d).mul(0.5).sum().add(p.pow(3).mul(0.1 / 3).sum()).backward();
                    opt.step();
                }
                assertClose(p, TOL, values.apply(name + ".step" + step));
            }
        }
    }
}
