package dev.kiln.optim;

import static dev.kiln.testing.Assertions.assertClose;

import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Optimizer trajectories against real PyTorch 1.13 ({@code src/test/python/gen_optim_torch.py}): two param groups
 * (p0, p1 | p2) with per-group overrides, 6 steps with recorded gradients that differ every step, p1 without a
 * gradient at step 3 (skipped, as in PyTorch). One case here per case there, with the same name.
 */
class OptimTorchTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/optim/optim_torch.txt", "gen_optim_torch.py");
    private static final List<String> PARAMS = List.of("p0", "p1", "p2");
    private static final double TOL = 1e-12;

    /** Builds the optimizer from group 0 (p0, p1) and group 1 (p2). */
    record Case(String name, BiFunction<ParamGroup, ParamGroup, Optimizer> make) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trajectoryMatchesPyTorch(Case c) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (String k : PARAMS) {
            p.put(k, TensorScope.detach(REF.tensor("p." + k)).requiresGrad_(true));
        }
        ParamGroup g0 = new ParamGroup(List.of(p.get("p0"), p.get("p1")));
        ParamGroup g1 = new ParamGroup(List.of(p.get("p2")));
        try (Optimizer opt = c.make().apply(g0, g1)) {
            for (int step = 1; step <= 6; step++) {
                for (String k : PARAMS) {
                    boolean skipped = step == 3 && k.equals("p1");
                    p.get(k).setGrad(skipped ? null : TensorScope.detach(REF.tensor("grad." + step + "." + k)));
                }
                opt.step();
                for (String k : PARAMS) {
                    assertClose(p.get(k), TOL, REF.values(c.name() + ".step" + step + "." + k));
                }
            }
        } finally {
            p.values().forEach(Tensor::close);
        }
    }

    static Stream<Case> cases() {
        return Stream.of(sgd(), adam("adam"), adam("adamw"), rmsprop(), adagrad()).flatMap(List::stream);
    }

    private static List<Case> sgd() {
        return List.of(
            c("sgd.plain", (a, b) -> new SGD(List.of(a, b), SGD.options().lr(0.1))),
            c("sgd.momentum", (a, b) -> new SGD(List.of(a, b.set("lr", 0.05)), SGD.options().lr(0.1)
                    .set("momentum", 0.9))),
            c("sgd.dampening", (a, b) -> new SGD(List.of(a, b.set("momentum", 0.5)), SGD.options().lr(0.1)
                    .set("momentum", 0.9).set("dampening", 0.3))),
            c("sgd.nesterov", (a, b) -> new SGD(List.of(a, b.set("nesterov", false)), SGD.options().lr(0.05)
                    .set("momentum", 0.8).set("nesterov", true).weightDecay(0.05))),
            c("sgd.wd.maximize", (a, b) -> new SGD(List.of(a, b.set("maximize", false)), SGD.options().lr(0.1)
                    .weightDecay(0.1).set("maximize", true))),
            c("sgd.all", (a, b) -> new SGD(List.of(a, b.set("lr", 0.2).set("momentum", 0.0)), SGD.options()
                    .lr(0.07).set("momentum", 0.6).set("dampening", 0.2).weightDecay(0.03).set("maximize", true))));
    }

    private static List<Case> adam(String prefix) {
        BiFunction<List<ParamGroup>, Options, Optimizer> make = prefix.equals("adam") ? Adam::new : AdamW::new;
        java.util.function.Supplier<Options> options = prefix.equals("adam") ? Adam::options : AdamW::options;
        return List.of(
            c(prefix + ".plain", (a, b) -> make.apply(List.of(a, b), options.get().lr(0.1))),
            c(prefix + ".wd", (a, b) -> make.apply(List.of(a, b.set("weight_decay", 0.0)), options.get().lr(0.05)
                    .set("beta1", 0.8).set("beta2", 0.99).weightDecay(0.1))),
            c(prefix + ".amsgrad", (a, b) -> make.apply(List.of(a, b.set("amsgrad", false)), options.get().lr(0.1)
                    .set("amsgrad", true).weightDecay(0.01))),
            c(prefix + ".maximize", (a, b) -> make.apply(List.of(a, b.set("lr", 0.02)), options.get().lr(0.1)
                    .set("maximize", true).set("eps", 1e-3))),
            c(prefix + ".all", (a, b) -> make.apply(List.of(a, b.set("beta1", 0.9).set("beta2", 0.999)
                    .set("maximize", false)), options.get().lr(0.03).set("beta1", 0.7).set("beta2", 0.95)
                    .set("eps", 1e-6).weightDecay(0.2).set("amsgrad", true).set("maximize", true))));
    }

    private static List<Case> rmsprop() {
        return List.of(
            c("rmsprop.plain", (a, b) -> new RMSprop(List.of(a, b), RMSprop.options().lr(0.01))),
            c("rmsprop.alpha", (a, b) -> new RMSprop(List.of(a, b.set("alpha", 0.5)), RMSprop.options().lr(0.01)
                    .set("alpha", 0.9))),
            c("rmsprop.centered", (a, b) -> new RMSprop(List.of(a, b.set("centered", false)), RMSprop.options()
                    .lr(0.02).set("centered", true).set("eps", 1e-6))),
            c("rmsprop.momentum", (a, b) -> new RMSprop(List.of(a, b.set("momentum", 0.0)), RMSprop.options()
                    .lr(0.01).set("momentum", 0.8).weightDecay(0.1))),
            c("rmsprop.all", (a, b) -> new RMSprop(List.of(a, b.set("lr", 0.03).set("centered", false)),
                    RMSprop.options().lr(0.01).set("alpha", 0.95).set("momentum", 0.5).set("centered", true)
                    .weightDecay(0.05).set("maximize", true))),
            c("rmsprop.maximize", (a, b) -> new RMSprop(List.of(a, b.set("momentum", 0.3)), RMSprop.options()
                    .lr(0.01).set("maximize", true))));
    }

    private static List<Case> adagrad() {
        return List.of(
            c("adagrad.plain", (a, b) -> new Adagrad(List.of(a, b), Adagrad.options().lr(0.1))),
            c("adagrad.lr_decay", (a, b) -> new Adagrad(List.of(a, b.set("lr_decay", 0.0)), Adagrad.options()
                    .lr(0.1).set("lr_decay", 0.1))),
            c("adagrad.initial_accumulator", (a, b) -> new Adagrad(List.of(a, b.set("initial_accumulator_value",
                    2.0)), Adagrad.options().lr(0.1).set("initial_accumulator_value", 0.5))),
            c("adagrad.wd", (a, b) -> new Adagrad(List.of(a, b), Adagrad.options().lr(0.1).weightDecay(0.05))),
            c("adagrad.maximize", (a, b) -> new Adagrad(List.of(a, b), Adagrad.options().lr(0.1)
                    .set("maximize", true).set("eps", 1e-3))),
            c("adagrad.all", (a, b) -> new Adagrad(List.of(a, b.set("maximize", false).set("lr", 0.05)),
                    Adagrad.options().lr(0.2).set("lr_decay", 0.05).weightDecay(0.1)
                    .set("initial_accumulator_value", 0.3).set("eps", 1e-6).set("maximize", true))));
    }

    private static Case c(String name, BiFunction<ParamGroup, ParamGroup, Optimizer> make) {
        return new Case(name, make);
    }
}
