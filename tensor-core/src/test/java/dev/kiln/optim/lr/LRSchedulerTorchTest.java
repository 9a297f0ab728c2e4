package dev.kiln.optim.lr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.optim.Adam;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.Golden;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every scheduler against real PyTorch 1.13 ({@code src/test/python/gen_sched_torch.py}): SGD(momentum 0.9) or Adam
 * with two groups at lr 0.1 and 0.05; each group's lr (and OneCycleLR's momentum / beta1) after construction and
 * after every step. One case here per case there, with the same name.
 */
class LRSchedulerTorchTest extends KilnTest {
    private static final Golden REF = Golden.load("/dev/kiln/optim/sched_torch.txt", "gen_sched_torch.py");
    private static final double TOL = 1e-12;

    record Case(String name, Function<Optimizer, LRScheduler> make, boolean adam) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Optimizer optimizer(boolean adam, Tensor p1, Tensor p2) {
        List<ParamGroup> groups = List.of(new ParamGroup(List.of(p1)), new ParamGroup(List.of(p2)).set("lr", 0.05));
        return adam ? new Adam(groups, Adam.options().lr(0.1)) : new SGD(groups, SGD.options().lr(0.1)
                .set("momentum", 0.9));
    }

    private static void assertRow(String what, double[] expected, Optimizer opt, String option) {
        for (int g = 0; g < expected.length; g++) {
            double got = opt.paramGroups().get(g).getDouble(option);
            assertEquals(expected[g], got, TOL * Math.max(1, Math.abs(expected[g])), what + " group " + g);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void trajectoryMatchesPyTorch(Case c) {
        String key = c.name() + ".lr";
        Tensor p1 = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        Tensor p2 = TensorScope.detach(Tensor.ones(3)).requiresGrad_(true);
        try (p1; p2; Optimizer opt = optimizer(c.adam(), p1, p2)) {
            LRScheduler s = c.make().apply(opt);
            boolean momentum = REF.has(c.name() + ".momentum");
            for (int step = 0; step < REF.rows(key); step++) {
                if (step > 0) {
                    opt.step();
                    s.step();
                }
                assertRow(key + " step " + step, REF.row(key, step), opt, "lr");
                assertEquals(s.getLastLr(), List.of(opt.paramGroups().get(0).getDouble("lr"),
                        opt.paramGroups().get(1).getDouble("lr")));
                if (momentum) {
                    assertRow(c.name() + ".momentum step " + step, REF.row(c.name() + ".momentum", step), opt,
                            c.adam() ? "beta1" : "momentum");
                }
            }
        }
    }

    static Stream<Case> cases() {
        Stream<Case> simple = Stream.of(
            c("step", o -> new StepLR(o, 7, 0.5)),
            c("step.default", o -> new StepLR(o, 3)),
            c("multistep", o -> new MultiStepLR(o, List.of(3, 10, 10, 25), 0.3)),
            c("exponential", o -> new ExponentialLR(o, 0.9)),
            c("cosine", o -> new CosineAnnealingLR(o, 10, 0.001)),
            c("cosine.nomin", o -> new CosineAnnealingLR(o, 7)),
            c("linear", o -> new LinearLR(o, 0.25, 1.0, 8)),
            c("linear.down", o -> new LinearLR(o, 1.0, 0.1, 12)),
            c("linear.default", LinearLR::new),
            c("lambda", o -> new LambdaLR(o, e -> 1.0 / (1 + e))),
            c("lambda.pergroup", o -> new LambdaLR(o, List.of(e -> Math.pow(0.95, e), e -> 1.0 / (1 + 0.1 * e)), -1)),
            c("sequential", o -> new SequentialLR(o, List.of(new LinearLR(o, 0.1, 1.0, 5),
                    new CosineAnnealingLR(o, 20, 0.001)), new int[] {6})),
            c("sequential.three", o -> new SequentialLR(o, List.of(new ExponentialLR(o, 0.8), new StepLR(o, 4, 0.5),
                    new LinearLR(o, 0.5, 1.0, 6)), new int[] {5, 12})));
        Stream<Case> oneCycle = Stream.of(
            oc("cos", OneCycleLR.config()),
            oc("linear", OneCycleLR.config().annealStrategy("linear")),
            oc("three", OneCycleLR.config().threePhase(true).pctStart(0.25)),
            oc("three.linear", OneCycleLR.config().threePhase(true).annealStrategy("linear")),
            oc("divs", OneCycleLR.config().divFactor(10).finalDivFactor(100).pctStart(0.4).baseMomentum(0.8)
                    .maxMomentum(0.9)),
            oc("nomomentum", OneCycleLR.config().cycleMomentum(false))).flatMap(List::stream);
        Stream<Case> epochs = Stream.of(c("onecycle.epochs", o -> new OneCycleLR(o, new double[] {0.8}, 4, 5,
                OneCycleLR.config())));
        return Stream.of(simple, oneCycle, epochs).flatMap(s -> s);
    }

    private static List<Case> oc(String name, OneCycleLR.Config config) {
        Function<Optimizer, LRScheduler> make = o -> new OneCycleLR(o, new double[] {1.0, 0.5}, 31, config);
        return List.of(new Case("onecycle." + name, make, false), new Case("onecycle." + name + ".adam", make, true));
    }

    private static Case c(String name, Function<Optimizer, LRScheduler> make) {
        return new Case(name, make, false);
    }

    @ParameterizedTest(name = "plateau.{0}")
    @MethodSource("plateauCases")
    void plateauMatchesPyTorch(String name, boolean max, Function<Optimizer, ReduceLROnPlateau> make) {
        double[] metrics = REF.values("plateau.metrics");
        String key = "plateau." + name + ".lr";
        Tensor p1 = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        Tensor p2 = TensorScope.detach(Tensor.ones(3)).requiresGrad_(true);
        try (p1; p2; Optimizer opt = optimizer(false, p1, p2)) {
            ReduceLROnPlateau s = make.apply(opt);
            for (int i = 0; i < metrics.length; i++) {
                opt.step();
                s.step(max ? 1 - metrics[i] : metrics[i]);
                assertRow(key + " step " + (i + 1), REF.row(key, i), opt, "lr");
            }
        }
    }

    static Stream<Arguments> plateauCases() {
        return Stream.of(
            p("min.rel", false, o -> new ReduceLROnPlateau(o, "min", 0.5, 2, 1e-2, "rel", 1, new double[] {0.004},
                    1e-8)),
            p("min.abs", false, o -> new ReduceLROnPlateau(o, "min", 0.1, 3, 0.05, "abs", 0, new double[] {0}, 1e-8)),
            p("max.rel", true, o -> new ReduceLROnPlateau(o, "max", 0.5, 1, 1e-3, "rel", 2, new double[] {0.01, 0.02},
                    1e-8)),
            p("max.abs", true, o -> new ReduceLROnPlateau(o, "max", 0.3, 0, 0.02, "abs", 0, new double[] {0}, 1e-8)),
            p("eps", false, o -> new ReduceLROnPlateau(o, "min", 0.5, 0, 0.0, "rel", 0, new double[] {0}, 0.02)),
            p("default", false, ReduceLROnPlateau::new));
    }

    private static Arguments p(String name, boolean max, Function<Optimizer, ReduceLROnPlateau> make) {
        return Arguments.of(name, max, make);
    }
}
