package dev.kiln.optim;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.nn.References;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Optimizer goldens: gen_nn_references.py runs each update rule in numpy float64 for 5 steps on
 * {@code f(p) = sum(0.5 A (p - C)^2 + 0.1/3 p^3)}; here the gradient comes from autograd.
 */
class OptimizerTest extends KilnTest {
    private void runGolden(String name, Function<List<Tensor>, Optimizer> make) {
        GoldenQuadratic.run(References::tensor, References::values, name, make);
    }

    @Test
    void sgdGoldens() {
        runGolden("sgd.plain", ps -> new SGD(ps, 0.1));
        runGolden("sgd.momentum", ps -> new SGD(ps, SGD.options().lr(0.1).set("momentum", 0.9)
                .set("dampening", 0.1).weightDecay(0.01)));
        runGolden("sgd.nesterov", ps -> new SGD(ps, SGD.options().lr(0.05).set("momentum", 0.9)
                .set("nesterov", true).weightDecay(0.05)));
    }

    @Test
    void adamGoldens() {
        runGolden("adam.plain", ps -> new Adam(ps, 0.1));
        runGolden("adam.wd", ps -> new Adam(ps, Adam.options().lr(0.05).set("beta1", 0.8).set("beta2", 0.99)
                .weightDecay(0.1)));
        runGolden("adam.amsgrad", ps -> new Adam(ps, Adam.options().lr(0.1).set("amsgrad", true).weightDecay(0.01)));
    }

    @Test
    void adamWGoldens() {
        runGolden("adamw.plain", ps -> new AdamW(ps, AdamW.options().lr(0.1).weightDecay(0.1)));
        runGolden("adamw.amsgrad", ps -> new AdamW(ps, AdamW.options().lr(0.1).set("amsgrad", true)));
    }

    @Test
    void paramGroupsOverrideDefaults() {
        Tensor a = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        Tensor b = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        try (a; b; var opt = new SGD(List.of(new ParamGroup(List.of(a)), new ParamGroup(List.of(b)).set("lr", 0.5)),
                SGD.options().lr(0.1))) {
            a.sum().add(b.sum()).backward();
            opt.step();
            assertClose(a, 1e-7, 0.9, 0.9);
            assertClose(b, 1e-7, 0.5, 0.5);
            assertEquals(0.1, opt.paramGroups().get(0).getDouble("lr"));
            opt.zeroGrad();
            assertNull(a.grad());
        }
    }

    @Test
    void stateDictRoundTripContinuesIdentically() {
        Tensor p1 = TensorScope.detach(Tensor.of(1.0, -2.0)).requiresGrad_(true);
        Tensor p2 = TensorScope.detach(Tensor.of(1.0, -2.0)).requiresGrad_(true);
        try (p1; p2; var o1 = new Adam(List.of(p1), 0.1); var o2 = new Adam(List.of(p2), 0.3)) {
            for (int i = 0; i < 2; i++) {
                o1.zeroGrad();
                p1.mul(p1).sum().backward();
                o1.step();
            }
            var sd = o1.stateDict();
            assertEquals(List.of("step", "exp_avg", "exp_avg_sq"), List.copyOf(sd.state().get(0).keySet()));
            assertEquals(2.0, sd.state().get(0).get("step"));
            assertEquals(List.of(0), sd.paramGroups().get(0).get("params"));
            o2.loadStateDict(sd);
            try (var g = dev.kiln.autograd.Autograd.noGrad()) {
                p2.copy_(p1);
            }
            assertEquals(0.1, o2.paramGroups().get(0).getDouble("lr"));
            for (Optimizer o : List.of(o1, o2)) {
                Tensor p = o == o1 ? p1 : p2;
                o.zeroGrad();
                p.mul(p).sum().backward();
                o.step();
            }
            assertClose(p2, 1e-12, p1.toDoubleArray());
            assertTrue(o2.state(p2).tensor("exp_avg") != o1.state(p1).tensor("exp_avg"), "state is copied");
        }
    }

    @Test
    void validationMessages() {
        Tensor p = Tensor.ones(1).requiresGrad_(true);
        assertEquals("Invalid learning rate: -1.0",
                assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(p), -1)).getMessage());
        assertEquals("Nesterov momentum requires a momentum and zero dampening", assertThrows(
                IllegalArgumentException.class, () -> new SGD(List.of(p), SGD.options().set("nesterov", true)))
                .getMessage());
        assertEquals("Invalid beta parameter at index 1: 1.0", assertThrows(IllegalArgumentException.class,
                () -> new Adam(List.of(p), Adam.options().set("beta2", 1.0))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SGD.options().set("momentun", 0.9));
        assertEquals("optimizer got an empty parameter list",
                assertThrows(IllegalArgumentException.class, () -> new Adam(List.<Tensor>of(), 0.1)).getMessage());
    }
}
