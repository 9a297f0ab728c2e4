package dev.kiln.optim;

import static dev.kiln.testing.Assertions.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * RMSprop and Adagrad goldens: gen_optim_references.py runs each documented update rule in numpy float64 for 5
 * steps on {@code f(p) = sum(0.5 A (p - C)^2 + 0.1/3 p^3)}; here the gradient comes from autograd.
 */
class RMSpropAdagradTest extends KilnTest {
    private void runGolden(String name, Function<List<Tensor>, Optimizer> make) {
        GoldenQuadratic.run(OptimReferences::tensor, OptimReferences::values, name, make);
    }

    @Test
    void rmspropGoldens() {
        runGolden("rmsprop.plain", ps -> new RMSprop(ps, 0.01));
        runGolden("rmsprop.momentum", ps -> new RMSprop(ps, RMSprop.options().lr(0.01).set("alpha", 0.9)
                .set("momentum", 0.8).weightDecay(0.1)));
        runGolden("rmsprop.centered", ps -> new RMSprop(ps, RMSprop.options().lr(0.02).set("centered", true)
                .set("eps", 1e-6)));
        runGolden("rmsprop.all", ps -> new RMSprop(ps, RMSprop.options().lr(0.01).set("alpha", 0.95)
                .set("momentum", 0.5).set("centered", true).weightDecay(0.05)));
        runGolden("rmsprop.maximize", ps -> new RMSprop(ps, RMSprop.options().lr(0.01).set("maximize", true)));
    }

    @Test
    void adagradGoldens() {
        runGolden("adagrad.plain", ps -> new Adagrad(ps, 0.1));
        runGolden("adagrad.decay", ps -> new Adagrad(ps, Adagrad.options().lr(0.1).set("lr_decay", 0.1)
                .weightDecay(0.05).set("initial_accumulator_value", 0.5)));
        runGolden("adagrad.eps", ps -> new Adagrad(ps, Adagrad.options().lr(0.5).set("eps", 1e-3)
                .set("initial_accumulator_value", 0.1)));
    }

    @Test
    void stateUsesPyTorchNames() {
        Tensor p = TensorScope.detach(Tensor.of(1.0, -2.0)).requiresGrad_(true);
        try (p; var rms = new RMSprop(List.of(p), RMSprop.options().set("momentum", 0.9).set("centered", true));
             var ada = new Adagrad(List.of(p), 0.1)) {
            p.mul(p).sum().backward();
            rms.step();
            ada.step();
            assertEquals(List.of("step", "square_avg", "grad_avg", "momentum_buffer"),
                    List.copyOf(rms.stateDict().state().get(0).keySet()));
            assertEquals(List.of("step", "sum"), List.copyOf(ada.stateDict().state().get(0).keySet()));
            rms.zeroGrad();
        }
    }

    @Test
    void validationMessages() {
        Tensor p = Tensor.ones(1).requiresGrad_(true);
        assertEquals("Invalid alpha value: -0.5", assertThrows(IllegalArgumentException.class,
                () -> new RMSprop(List.of(p), RMSprop.options().set("alpha", -0.5))).getMessage());
        assertEquals("Invalid momentum value: -1.0", assertThrows(IllegalArgumentException.class,
                () -> new RMSprop(List.of(p), RMSprop.options().set("momentum", -1))).getMessage());
        assertEquals("Invalid lr_decay value: -0.1", assertThrows(IllegalArgumentException.class,
                () -> new Adagrad(List.of(p), Adagrad.options().set("lr_decay", -0.1))).getMessage());
        assertEquals("Invalid initial_accumulator_value value: -1.0", assertThrows(IllegalArgumentException.class,
                () -> new Adagrad(List.of(p), Adagrad.options().set("initial_accumulator_value", -1))).getMessage());
        assertEquals("Invalid learning rate: -1.0",
                assertThrows(IllegalArgumentException.class, () -> new Adagrad(List.of(p), -1)).getMessage());
    }
}
