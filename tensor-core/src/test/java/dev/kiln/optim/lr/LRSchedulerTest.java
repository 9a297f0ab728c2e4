package dev.kiln.optim.lr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.optim.Adam;
import dev.kiln.optim.OptimReferences;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.optim.SGD;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Scheduler goldens from gen_optim_references.py: each group's lr after construction and after each of 30 steps,
 * for two groups starting at lr 0.1 and 0.05.
 */
class LRSchedulerTest extends KilnTest {
    private static final double TOL = 1e-12;
    private Tensor p1;
    private Tensor p2;

    @BeforeEach
    void params() {
        p1 = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        p2 = TensorScope.detach(Tensor.ones(3)).requiresGrad_(true);
    }

    @AfterEach
    void closeParams() {
        p1.close();
        p2.close();
    }

    private Optimizer sgd() {
        return new SGD(List.of(new ParamGroup(List.of(p1)), new ParamGroup(List.of(p2)).set("lr", 0.05)),
                SGD.options().lr(0.1).set("momentum", 0.9));
    }

    private static void assertLrs(String what, int step, double[] expected, List<Double> got, double tol) {
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double g = got.get(i);
            assertTrue(Math.abs(g - e) <= tol * Math.max(1, Math.abs(e)),
                    what + " step " + step + " group " + i + ": expected " + e + ", got " + g);
        }
    }

    private void runGolden(String key, Function<Optimizer, LRScheduler> make) {
        try (Optimizer opt = sgd()) {
            LRScheduler s = make.apply(opt);
            for (int step = 0; step < OptimReferences.rows(key); step++) {
                if (step > 0) {
                    opt.step();
                    s.step();
                }
                assertLrs(key, step, OptimReferences.row(key, step), s.getLastLr(), TOL);
                assertEquals(s.getLastLr().get(1), opt.paramGroups().get(1).getDouble("lr"));
                assertEquals(step, s.lastEpoch());
            }
        }
    }

    @Test
    void stepMultiStepExponential() {
        runGolden("sched.step", o -> new StepLR(o, 7, 0.5));
        runGolden("sched.multistep", o -> new MultiStepLR(o, List.of(3, 10, 10, 25), 0.3));
        runGolden("sched.exponential", o -> new ExponentialLR(o, 0.9));
    }

    @Test
    void cosineRecursiveMatchesGoldenAndClosedForm() {
        runGolden("sched.cosine", o -> new CosineAnnealingLR(o, 10, 0.001));
        try (Optimizer opt = sgd()) {
            var s = new CosineAnnealingLR(opt, 10, 0.001);
            for (int step = 0; step <= 30; step++) {
                if (step > 0) {
                    s.step();
                }
                double[] closed = OptimReferences.row("sched.cosine.closed", step);
                assertLrs("closed form", step, closed, s.getLastLr(), 1e-9);
                assertEquals(closed[0], s.closedFormLr(0, step), 1e-15);
            }
        }
    }

    @Test
    void linearWarmupAndDecay() {
        runGolden("sched.linear", o -> new LinearLR(o, 0.25, 1.0, 8));
        runGolden("sched.linear.down", o -> new LinearLR(o, 1.0, 0.1, 12));
    }

    @Test
    void sequentialWarmupThenCosine() {
        runGolden("sched.sequential", o -> new SequentialLR(o, List.of(new LinearLR(o, 0.1, 1.0, 5),
                new CosineAnnealingLR(o, 20, 0.001)), new int[] {6}));
        try (Optimizer opt = sgd()) {
            var s = new SequentialLR(opt, List.of(new LinearLR(opt, 0.1, 1.0, 5), new ExponentialLR(opt, 0.9)),
                    new int[] {3});
            @SuppressWarnings("unchecked")
            var children = (List<Object>) s.stateDict().get("_schedulers");
            assertEquals(2, children.size());
            assertThrows(IllegalArgumentException.class, () -> new SequentialLR(opt, List.of(new StepLR(opt, 2)),
                    new int[] {3}));
        }
    }

    @Test
    void lambdaLr() {
        try (Optimizer opt = sgd()) {
            var s = new LambdaLR(opt, e -> 1.0 / (1 + e));
            s.step();
            s.step();
            assertEquals(List.of(0.1 / 3, 0.05 / 3), s.getLastLr());
        }
    }

    private void runOneCycle(String name, OneCycleLR.Config c, boolean adam) {
        String key = "sched.onecycle." + name;
        try (Optimizer opt = adam
                ? new Adam(List.of(new ParamGroup(List.of(p1)), new ParamGroup(List.of(p2))), Adam.options())
                : sgd()) {
            var s = new OneCycleLR(opt, new double[] {1.0, 0.5}, 31, c);
            String momentum = adam ? "beta1" : "momentum";
            for (int step = 0; step < 31; step++) {
                if (step > 0) {
                    s.step();
                }
                assertLrs(key, step, OptimReferences.row(key + ".lr", step), s.getLastLr(), TOL);
                double[] m = OptimReferences.row(key + ".momentum", step);
                for (int g = 0; g < 2; g++) {
                    assertEquals(m[g], opt.paramGroups().get(g).getDouble(momentum), 1e-12, key + " momentum " + step);
                }
            }
            s.step(); // last_epoch == total_steps is still allowed, as in PyTorch
            assertEquals("Tried to step 32 times. The specified number of total steps is 31",
                    assertThrows(IllegalStateException.class, s::step).getMessage());
        }
    }

    @Test
    void oneCycleCosLinearAndThreePhase() {
        runOneCycle("cos", OneCycleLR.config(), false);
        runOneCycle("linear", OneCycleLR.config().annealStrategy("linear"), true);
        runOneCycle("three", OneCycleLR.config().threePhase(true).pctStart(0.25), false);
        runOneCycle("three.linear", OneCycleLR.config().threePhase(true).annealStrategy("linear"), true);
    }

    private void runPlateau(String key, String mode, double factor, int patience, double threshold, String tm,
                            int cooldown, double minLr) {
        double[] metrics = OptimReferences.values("sched.plateau.metrics");
        try (Optimizer opt = sgd()) {
            var s = new ReduceLROnPlateau(opt, mode, factor, patience, threshold, tm, cooldown, new double[] {minLr},
                    1e-8);
            for (int i = 0; i < metrics.length; i++) {
                s.step(mode.equals("min") ? metrics[i] : 1 - metrics[i]);
                assertLrs(key, i + 1, OptimReferences.row(key, i), s.getLastLr(), TOL);
            }
        }
    }

    @Test
    void reduceOnPlateauModes() {
        runPlateau("sched.plateau.min.rel", "min", 0.5, 2, 1e-2, "rel", 1, 0.004);
        runPlateau("sched.plateau.min.abs", "min", 0.1, 3, 0.05, "abs", 0, 0.0);
        runPlateau("sched.plateau.max.rel", "max", 0.5, 1, 1e-3, "rel", 2, 0.01);
        runPlateau("sched.plateau.max.abs", "max", 0.3, 0, 0.02, "abs", 0, 0.0);
    }

    @Test
    void stateDictResumesIdentically() {
        try (Optimizer o1 = sgd()) {
            var s1 = new CosineAnnealingLR(o1, 7, 0.0);
            for (int i = 0; i < 5; i++) {
                s1.step();
            }
            var saved = s1.stateDict();
            assertEquals(5, saved.get("last_epoch"));
            assertEquals(List.of("last_epoch", "_step_count", "base_lrs", "_last_lr"), List.copyOf(saved.keySet()));
            var optSaved = o1.stateDict();
            for (int i = 0; i < 4; i++) {
                s1.step();
            }
            Tensor q1 = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
            Tensor q2 = TensorScope.detach(Tensor.ones(3)).requiresGrad_(true);
            try (q1; q2; Optimizer o2 = new SGD(List.of(new ParamGroup(List.of(q1)), new ParamGroup(List.of(q2))),
                    SGD.options().lr(0.7))) {
                o2.loadStateDict(optSaved);
                var s2 = new CosineAnnealingLR(o2, 7, 0.0);
                s2.loadStateDict(saved);
                for (int i = 0; i < 4; i++) {
                    s2.step();
                }
                assertEquals(s1.getLastLr(), s2.getLastLr());
            }
        }
    }

    @Test
    void plateauStateDictKeepsInfinity() {
        try (Optimizer opt = sgd()) {
            var s = new ReduceLROnPlateau(opt);
            var sd = s.stateDict();
            assertEquals("Infinity", sd.get("best"));
            s.step(1.0);
            s.loadStateDict(sd);
            assertEquals(Double.POSITIVE_INFINITY, s.best());
            assertThrows(UnsupportedOperationException.class, s::step);
        }
    }

    @Test
    void misuseMessages() {
        try (Optimizer opt = sgd()) {
            assertEquals("Factor should be < 1.0.", assertThrows(IllegalArgumentException.class,
                    () -> new ReduceLROnPlateau(opt, "min", 1.0, 1, 0, "rel", 0, new double[] {0}, 1e-8)).getMessage());
            assertEquals("mode up is unknown!", assertThrows(IllegalArgumentException.class,
                    () -> new ReduceLROnPlateau(opt, "up", 0.1, 1, 0, "rel", 0, new double[] {0}, 1e-8)).getMessage());
            assertEquals("threshold mode pct is unknown!", assertThrows(IllegalArgumentException.class,
                    () -> new ReduceLROnPlateau(opt, "min", 0.1, 1, 0, "pct", 0, new double[] {0}, 1e-8)).getMessage());
            assertEquals("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
                    assertThrows(IllegalArgumentException.class, () -> new LinearLR(opt, 0, 1, 5)).getMessage());
            assertEquals("Ending multiplicative factor expected to be between 0 and 1.",
                    assertThrows(IllegalArgumentException.class, () -> new LinearLR(opt, 0.5, 2, 5)).getMessage());
            assertEquals("anneal_strategy must be one of 'cos' or 'linear', instead got exp",
                    assertThrows(IllegalArgumentException.class, () -> new OneCycleLR(opt, new double[] {1}, 10,
                            OneCycleLR.config().annealStrategy("exp"))).getMessage());
            assertEquals("Expected positive integer total_steps, but got 0", assertThrows(
                    IllegalArgumentException.class, () -> new OneCycleLR(opt, 1.0, 0)).getMessage());
            assertEquals("Expected float between 0 and 1 pct_start, but got 1.5", assertThrows(
                    IllegalArgumentException.class, () -> new OneCycleLR(opt, new double[] {1}, 10,
                            OneCycleLR.config().pctStart(1.5))).getMessage());
        }
        Tensor q = TensorScope.detach(Tensor.ones(2)).requiresGrad_(true);
        try (q; Optimizer fresh = new SGD(List.of(q), 0.1)) {
            assertEquals("param 'initial_lr' is not specified in param_groups[0] when resuming an optimizer",
                    assertThrows(IllegalArgumentException.class, () -> new StepLR(fresh, 3, 0.1, 4)).getMessage());
        }
    }
}
