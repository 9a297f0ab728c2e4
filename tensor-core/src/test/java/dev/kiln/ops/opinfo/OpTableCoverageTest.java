package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTest;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Fails when a backward formula has no op-table entry: every node name registered in the main classes
 * ({@link BackwardNodes#registered()}) must be produced by some sample of the {@link OpTable}. PyTorch's equivalent
 * is that every {@code derivatives.yaml} entry needs an OpInfo.
 */
class OpTableCoverageTest extends KilnTest {

    @Test
    void everyRegisteredBackwardFormulaHasATableEntry() {
        Set<String> missing = missing(BackwardNodes.registered(), BackwardNodes.reached(OpTable.all()).keySet());
        assertEquals(Set.of(), missing, "backward formulas no op-table sample reaches; add an OpInfo (or a sample) "
                + "for each in dev.kiln.ops.opinfo");
    }

    /** The scan must see every node the table produces; otherwise its pattern or class walk missed something. */
    @Test
    void theScanSeesEveryNodeTheTableProduces() {
        Set<String> reached = new TreeSet<>(BackwardNodes.reached(OpTable.all()).keySet());
        reached.removeAll(BackwardNodes.registered());
        assertEquals(Set.of(), reached, "nodes made at run time that the constant-pool scan did not find");
    }

    @Test
    void theScanFindsKnownFormulas() {
        Set<String> names = BackwardNodes.registered();
        assertTrue(names.containsAll(List.of("MulBackward0", "MmBackward0", "CopySlices", "ThresholdBackwardBackward0",
                "MaxPool2DWithIndicesBackward0", "AsStridedBackward0")), names.toString());
        assertTrue(names.size() >= 55, names.size() + " names: " + names);
    }

    /** The check must fail when an entry is missing: without the "sign" entry, SignBackward0 is uncovered. */
    @Test
    void aMissingEntryIsReported() {
        var withoutSign = OpTable.all().stream().filter(o -> !o.name().equals("sign")).toList();
        Map<String, Set<String>> reached = BackwardNodes.reached(withoutSign);
        assertEquals(Set.of("SignBackward0"), missing(BackwardNodes.registered(), reached.keySet()));
    }

    private static Set<String> missing(Set<String> registered, Set<String> reached) {
        Set<String> out = new TreeSet<>(registered);
        out.removeAll(reached);
        return out;
    }
}
