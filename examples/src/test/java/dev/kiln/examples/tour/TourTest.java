package dev.kiln.examples.tour;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.testing.KilnTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tour's numbers against the math (worked out by hand in the comments), not against the tutorials' printouts,
 * which are wrong in two places.
 */
class TourTest extends KilnTest {
    private static Map<String, double[]> r;
    private static String printed;

    @BeforeAll
    static void runTour() throws Exception {
        long before = Kiln.rootAllocator().getAllocatedMemory();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Tour tour = new Tour(new PrintStream(buf, true, StandardCharsets.UTF_8));
        tour.runAll();
        r = tour.results();
        printed = buf.toString(StandardCharsets.UTF_8);
        // The tour frees everything it made (each section runs in a TensorScope; modules are closed).
        assertEquals(before, Kiln.rootAllocator().getAllocatedMemory(), "bytes left allocated by the tour");
    }

    private static void eq(String key, double tol, double... expected) {
        double[] got = r.get(key);
        assertTrue(got != null, "the tour recorded no '" + key + "'");
        assertArrayEquals(expected, got, tol, key);
    }

    @Test
    void tensorBasics() {
        eq("full", 0, 5, 5, 5, 5, 5, 5);
        eq("add", 0, 5, 7, 9);
        eq("broadcast", 0, 3, 4, 5);
        eq("matmul", 1e-6, 19, 22, 43, 50);        // [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]]
        eq("matmulShape", 0, 2, 4);
        eq("index", 0, 2);
        eq("column", 0, 2, 4);
        eq("transpose", 0, 3, 2);
        eq("squeeze", 0, 2, 3);
        eq("unsqueeze", 0, 3, 2, 1);
        eq("cat1", 0, 2, 6, 3);
        eq("cat0", 0, 6, 2, 3);
        assertTrue(printed.contains("must match the size of tensor b (2) at non-singleton dimension 1"), printed);
    }

    @Test
    void viewsShareStorage() {
        eq("tContiguous", 0, 0);
        eq("viewShares", 0, 10, 2, 3);
    }

    @Test
    void gradientsAreTheMathematicalOnes() {
        eq("quadratic", 1e-6, 7);                  // d(x² + 3x + 5)/dx = 2x + 3 at 2
        eq("wGrad", 1e-5, 42);                     // 2(wx + b)·x = 2·7·3
        eq("bGrad", 1e-5, 14);                     // 2(wx + b)
        eq("xGrad", 1e-5, 28);                     // 2(wx + b)·w
        eq("sumSquaresGrad", 1e-6, 2, 0, -2, 2);   // 2x
        eq("noGrad", 0, 0);
        eq("customFunction", 0, 0, 1, 0);          // ReLU's gradient at -1, 2, -3
        eq("inplaceDetected", 0, 1);
        eq("meanSquareGrad", 1e-5, 6, 4 / 3.0, 4 / 3.0); // 2b/3 with b = a + 2 = [9, 2, 2]
    }

    @Test
    void modules() {
        eq("convOut", 0, 8, 32, 46, 96);           // 50x100 shrinks by 2 per unpadded 3x3 conv
        eq("frozen", 0, 0);
        eq("paramCount", 0, 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
        eq("simpleOut", 0, 5, 1);
        eq("linearWeight", 0, 64, 32);
        eq("linearBias", 0, 64);
    }

    @Test
    void theHandCheckedStep() {
        // Equal logits: softmax 1/20 each; d loss/d logit_j = 1/20 - [j == 1]; the linear layer's weights are all 0.1,
        // so d loss/d feature = 0.1 * sum_j (1/20 - [j == 1]) = 0, and the convolutions get no gradient.
        eq("conv1Grad", 1e-5, 0, 0, 0);
        eq("conv1GradMaxAbs", 1e-5, 0);
        // Feature 0 (channel 0, top-left): conv1 gives 1.2 / 1.8 / 2.7 at corner / edge / inside (4, 6, 9 taps x 3
        // channels x 0.1); conv2's top-left window sums 1.2 + 1.8 + 1.8 + 2.7 = 7.5 over 16 channels x 0.1 = 12.
        eq("linearGrad", 1e-4, 0.05 * 12, -0.95 * 12);
        eq("conv1After", 1e-6, 0.1, 0.1, 0.1);
        eq("linearAfter", 1e-4, 0.1 - 0.6, 0.1 + 11.4);
    }

    @Test
    void trainingLoopLearnsAndReloadsExactly() {
        double[] loss = r.get("trainLoss");
        assertTrue(loss[1] < loss[0] / 10, "MSE should fall by 10x: " + loss[0] + " -> " + loss[1]);
        assertTrue(loss[1] < 0.1, "the target is linear plus noise of variance 0.01: " + loss[1]);
        eq("reloadDiff", 0, 0);
    }

    @Test
    void allReduceSumsOnEveryRank() {
        eq("allReduce0", 0, 3, 6, 9);
        eq("allReduce1", 0, 3, 6, 9);
        assertEquals(-1, printed.indexOf("no error?!"), printed);
    }
}
