package dev.kiln.ops.opinfo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.KilnTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward values against float64 references computed independently with numpy from PyTorch's documented formulas
 * ({@code src/test/python/gen_op_references.py} writes {@code op_references.txt}); each case's op token is run by
 * the {@link OpTable} entry that claims it ({@link OpInfo#numpy}).
 */
class OpReferenceTest extends KilnTest {
    private static final double FLOAT32_TOL = 1e-6;
    private static final double FLOAT64_TOL = 1e-12;

    record Array(DType dtype, long[] shape, double[] values) {
    }

    record Case(String name, String[] op, List<Array> inputs, Array expected) {
        @Override
        public String toString() {
            return name;
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesNumpyReference(Case c) {
        check(c, OpTable.byNumpyToken(c.op()[0]));
    }

    private static void check(Case c, OpInfo op) {
        if (op == null) {
            throw new AssertionError("op_references.txt names op token " + c.op()[0] + ", which no op table entry runs");
        }
        List<Tensor> in = new ArrayList<>();
        for (Array a : c.inputs()) {
            in.add(tensor(a));
        }
        String[] args = Arrays.copyOfRange(c.op(), 1, c.op().length);
        Tensor out = op.numpyRun(c.op()[0]).apply(args, in);
        assertEquals(c.expected().dtype(), out.dtype(), "dtype of " + c.name());
        Checks.assertClose(c.name(), out, c.expected().shape(), c.expected().values(),
                c.expected().dtype() == DType.FLOAT64 ? FLOAT64_TOL : FLOAT32_TOL);
    }

    /** Every token in the file has an entry, and every entry's token has cases (no dead mappings). */
    @Test
    void tokensOfTheFileAndTheTableMatch() {
        Set<String> inFile = cases().map(c -> c.op()[0]).collect(Collectors.toCollection(TreeSet::new));
        Set<String> inTable = OpTable.all().stream().flatMap(o -> o.numpyTokens().stream())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(inFile, inTable, "op tokens of op_references.txt vs the op table's numpy tokens");
    }

    /** The harness must fail when the op disagrees with the reference. */
    @Test
    void rejectsAnOpThatDisagreesWithTheReference() {
        Case exp = cases().filter(c -> c.op()[0].equals("exp")).findFirst().orElseThrow();
        OpInfo slightlyWrong = OpInfo.op("wrong exp").numpy("exp", (a, x) -> x.get(0).exp().mul(1.0001));
        assertThrows(AssertionError.class, () -> check(exp, slightlyWrong));
        check(exp, OpTable.byNumpyToken("exp")); // and passes with the real op
    }

    @Test
    void keepsAllSeventySixCases() {
        assertTrue(cases().count() >= 76);
    }

    // -------------------------------------------------------------- parsing the reference file

    static Stream<Case> cases() {
        List<Case> out = new ArrayList<>();
        try (var in = OpReferenceTest.class.getResourceAsStream("/op_references.txt")) {
            if (in == null) {
                throw new IllegalStateException("op_references.txt missing; run src/test/python/gen_op_references.py");
            }
            var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String name = null;
            String[] op = null;
            List<Array> inputs = new ArrayList<>();
            for (String line; (line = reader.readLine()) != null; ) {
                if (line.startsWith("case ")) {
                    name = line.substring(5);
                    inputs = new ArrayList<>();
                } else if (line.startsWith("op ")) {
                    op = line.substring(3).trim().split(" ");
                } else if (line.startsWith("in ")) {
                    inputs.add(parseArray(line.substring(3)));
                } else if (line.startsWith("out ")) {
                    out.add(new Case(name, op, inputs, parseArray(line.substring(4))));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (out.size() < 60) {
            throw new IllegalStateException("op_references.txt has only " + out.size() + " cases");
        }
        return out.stream();
    }

    /** {@code <dtype> <shape> : <values>}, the shape comma separated and empty for 0-d. */
    private static Array parseArray(String s) {
        String[] headAndValues = s.split(" : ", 2);
        String[] head = headAndValues[0].trim().split("\\s+");
        DType dtype = DType.valueOf(head[0].toUpperCase());
        long[] shape = head.length < 2 ? new long[0] : Arrays.stream(head[1].split(",")).mapToLong(Long::parseLong)
                .toArray();
        double[] values = Arrays.stream(headAndValues[1].trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
        if (values.length != Shapes.numel(shape)) {
            throw new IllegalStateException("bad reference line (" + values.length + " values for shape "
                    + Shapes.str(shape) + "): " + s);
        }
        return new Array(dtype, shape, values);
    }

    private static Tensor tensor(Array a) {
        Tensor flat = switch (a.dtype()) {
            case FLOAT64 -> Tensor.of(a.values());
            case FLOAT32 -> {
                float[] f = new float[a.values().length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) a.values()[i];
                }
                yield Tensor.of(f);
            }
            case BOOL -> {
                boolean[] b = new boolean[a.values().length];
                for (int i = 0; i < b.length; i++) {
                    b[i] = a.values()[i] != 0;
                }
                yield Tensor.of(b);
            }
            default -> throw new IllegalArgumentException("unsupported reference dtype " + a.dtype());
        };
        return flat.reshape(a.shape());
    }
}
