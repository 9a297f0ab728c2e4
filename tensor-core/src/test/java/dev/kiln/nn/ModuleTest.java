package dev.kiln.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.Kiln;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import dev.kiln.testing.KilnTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModuleTest extends KilnTest {

    /** A user-defined model as in the PyTorch tutorials: fields registered in declaration order. */
    static final class Net extends Module {
        final Linear fc1 = registerModule("fc1", new Linear(4, 3));
        final Sequential body = registerModule("body", new Sequential(new ReLU(), new Linear(3, 2, false)));
        final Tensor scale = registerBuffer("scale", Tensor.ones(2));

        @Override
        public Tensor forward(Tensor x) {
            return body.forward(fc1.forward(x)).mul(scale);
        }
    }

    @Test
    void sequentialStateDictKeysMatchPyTorch() {
        try (var model = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 10))) {
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), new ArrayList<>(model.stateDict().keySet()));
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"),
                    new ArrayList<>(model.namedParameters().keySet()));
            assertEquals(4, model.parameters().size());
            assertEquals(3, model.children().size());
            assertEquals(4, model.modules().size());
        }
    }

    @Test
    void nestedModuleKeysParamsThenBuffersThenChildren() {
        try (var net = new Net()) {
            assertEquals(List.of("fc1.weight", "fc1.bias", "body.1.weight"), new ArrayList<>(net.namedParameters().keySet()));
            assertEquals(List.of("scale", "fc1.weight", "fc1.bias", "body.1.weight"),
                    new ArrayList<>(net.stateDict().keySet()));
            assertEquals(List.of("", "fc1", "body", "body.0", "body.1"), new ArrayList<>(net.namedModules().keySet()));
            assertEquals(1, net.buffers().size());
        }
    }

    @Test
    void printMatchesPyTorch() {
        try (var model = new Sequential(new Linear(784, 256), new ReLU(), new Dropout(0.2), new Linear(256, 10),
                new LogSoftmax(1))) {
            assertEquals("Sequential(\n"
                    + "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
                    + "  (1): ReLU()\n"
                    + "  (2): Dropout(p=0.2, inplace=False)\n"
                    + "  (3): Linear(in_features=256, out_features=10, bias=True)\n"
                    + "  (4): LogSoftmax(dim=1)\n"
                    + ")", model.toString());
        }
        try (var net = new Net()) {
            assertEquals("Net(\n"
                    + "  (fc1): Linear(in_features=4, out_features=3, bias=True)\n"
                    + "  (body): Sequential(\n"
                    + "    (0): ReLU()\n"
                    + "    (1): Linear(in_features=3, out_features=2, bias=False)\n"
                    + "  )\n"
                    + ")", net.toString());
        }
        assertEquals("LeakyReLU(negative_slope=0.01)", new LeakyReLU().toString());
        assertEquals("ELU(alpha=1.0)", new ELU().toString());
        assertEquals("GELU(approximate='none')", new GELU().toString());
        assertEquals("Flatten(start_dim=1, end_dim=-1)", new Flatten().toString());
        assertEquals("Identity()", new Identity().toString());
        assertEquals("CrossEntropyLoss()", new CrossEntropyLoss().toString());
        assertEquals("1e-05", ModuleRepr.pyFloat(1e-5));
        assertEquals("0.0001", ModuleRepr.pyFloat(1e-4));
    }

    @Test
    void moduleListCollapsesRepeatsLikePyTorch() {
        try (var list = new ModuleList(new Linear(2, 2), new Linear(2, 2), new Linear(2, 2), new ReLU())) {
            assertEquals("ModuleList(\n"
                    + "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
                    + "  (3): ReLU()\n"
                    + ")", list.toString());
            assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"),
                    new ArrayList<>(list.stateDict().keySet()));
        }
    }

    @Test
    void trainEvalIsRecursive() {
        try (var net = new Net()) {
            assertTrue(net.body.get(0).isTraining());
            net.eval();
            assertFalse(net.isTraining());
            assertFalse(net.body.get(1).isTraining());
            net.train();
            assertTrue(net.fc1.isTraining());
        }
    }

    @Test
    void applyVisitsChildrenBeforeParent() {
        try (var net = new Net()) {
            List<String> order = new ArrayList<>();
            net.apply(m -> order.add(m.getClass().getSimpleName()));
            assertEquals(List.of("Linear", "ReLU", "Linear", "Sequential", "Net"), order);
        }
    }

    @Test
    void zeroGradClearsAndRequiresGradFreezes() {
        try (var net = new Net()) {
            net.forward(Tensor.ones(2, 4)).sum().backward();
            assertTrue(net.parameters().stream().allMatch(p -> p.grad() != null));
            Tensor g = net.fc1.weight().grad();
            net.zeroGrad();
            assertTrue(g.isClosed());
            assertNull(net.fc1.weight().grad());
            net.requiresGrad_(false);
            assertTrue(net.parameters().stream().noneMatch(Tensor::requiresGrad));
        }
    }

    @Test
    void parametersSurviveTrainingStepScopes() {
        try (var model = new Sequential(new Linear(3, 2))) {
            for (int i = 0; i < 3; i++) {
                try (var s = TensorScope.open()) {
                    model.forward(Tensor.ones(5, 3)).sum().backward();
                }
                model.zeroGrad();
            }
            assertFalse(model.parameters().get(0).isClosed());
            Tensor w = model.parameters().get(0);
            model.close();
            assertTrue(w.isClosed());
        }
    }

    @Test
    void loadStateDictRoundTripCopiesValues() {
        Kiln.manualSeed(1);
        try (var a = new Net(); var b = new Net()) {
            b.loadStateDict(a.stateDict());
            for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(e.getValue().toDoubleArray(),
                        b.stateDict().get(e.getKey()).toDoubleArray());
            }
            assertSame(b.fc1.weight(), b.namedParameters().get("fc1.weight"), "parameters are updated in place");
            assertTrue(b.fc1.weight().requiresGrad());
        }
    }

    @Test
    void loadStateDictStrictReportsMissingUnexpectedAndSizeMismatch() {
        try (var model = new Sequential(new Linear(2, 4))) {
            LinkedHashMap<String, Tensor> sd = new LinkedHashMap<>();
            sd.put("0.weight", Tensor.zeros(4, 2));
            sd.put("foo", Tensor.zeros(1));
            var e = assertThrows(StateDicts.LoadError.class, () -> model.loadStateDict(sd));
            assertEquals("Error(s) in loading state_dict for Sequential:\n"
                    + "\tMissing key(s) in state_dict: \"0.bias\". \n"
                    + "\tUnexpected key(s) in state_dict: \"foo\". ", e.getMessage());

            var keys = model.loadStateDict(sd, false);
            assertEquals(List.of("0.bias"), keys.missingKeys());
            assertEquals(List.of("foo"), keys.unexpectedKeys());
            assertEquals(0.0, model.parameters().get(0).abs().sum().item());

            sd.put("0.weight", Tensor.zeros(3, 2));
            var size = assertThrows(StateDicts.LoadError.class, () -> model.loadStateDict(sd, false));
            assertTrue(size.getMessage().contains("size mismatch for 0.weight: copying a param with shape [3, 2] from "
                    + "checkpoint, the shape in current model is [4, 2]."), size.getMessage());
        }
    }

    @Test
    void registrationRejectsBadNames() {
        class Bad extends Module {
            Bad(String name) {
                registerParameter(name, null);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new Bad("a.b"));
        assertThrows(IllegalArgumentException.class, () -> new Bad(""));
        var e = assertThrows(UnsupportedOperationException.class, () -> new Bad("w").forward(null));
        assertEquals("Module [Bad] is missing the required \"forward\" function", e.getMessage());
    }

    @Test
    void toDeviceIsANoOpOnCpuAndNamesAMissingBackend() {
        try (Sequential m = new Sequential(new Linear(2, 3))) {
            org.junit.jupiter.api.Assertions.assertSame(m, m.to(dev.kiln.tensor.Device.CPU));
            UnsupportedOperationException e = org.junit.jupiter.api.Assertions.assertThrows(
                    UnsupportedOperationException.class, () -> m.to(dev.kiln.tensor.Device.cuda(0)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("cuda:0"), e.getMessage());
        }
    }
}
