package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.autograd.Autograd;
import dev.kiln.optim.Adam;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import org.junit.jupiter.api.Test;

/**
 * End to end: an MLP learns XOR-like quadrants (not linearly separable, so the hidden layer must work), with
 * every step inside a TensorScope; the leak check proves steps free their activations and the model and
 * optimizer free the rest.
 */
class TrainMlpTest extends KilnTest {

    @Test
    void mlpLearnsQuadrantsAboveNinetyFivePercent() {
        Kiln.manualSeed(42);
        Tensor x = Tensor.rand(new long[] {256, 2}, DType.FLOAT32, new Generator(9)).mul(2).sub(1);
        // label 1 where x0 * x1 > 0; points near the axes are pushed out so the classes have a margin
        x = x.add(x.sign().mul(0.1));
        Tensor y = x.select(1, 0).mul(x.select(1, 1)).gt(0).to(DType.INT64);
        try (var model = new Sequential(new Linear(2, 32), new ReLU(), new Linear(32, 2));
             var loss = new CrossEntropyLoss();
             var opt = new Adam(model.parameters(), 0.02)) {
            double first = 0;
            double last = 0;
            for (int step = 0; step < 300; step++) {
                try (var s = TensorScope.open()) {
                    opt.zeroGrad();
                    Tensor l = loss.forward(model.forward(x), y);
                    l.backward();
                    opt.step();
                    last = l.item();
                    first = step == 0 ? last : first;
                }
            }
            double accuracy;
            try (var g = Autograd.noGrad(); var s = TensorScope.open()) {
                model.eval();
                accuracy = model.forward(x).argmax(1, false).eq(y).to(DType.FLOAT64).mean().item();
            }
            assertTrue(last < first / 4, "loss should fall: first " + first + ", last " + last);
            assertTrue(accuracy > 0.95, "accuracy " + accuracy);
        }
    }
}
