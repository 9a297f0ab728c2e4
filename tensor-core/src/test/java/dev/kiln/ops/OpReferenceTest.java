package dev.kiln.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import dev.kiln.testing.Assertions;
import dev.kiln.testing.KilnTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Forward values against float64 references computed independently with numpy from PyTorch's documented
 * formulas ({@code src/test/python/gen_op_references.py} writes {@code op_references.txt}).
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
        List<Tensor> in = new ArrayList<>();
        for (Array a : c.inputs()) {
            in.add(tensor(a));
        }
        Tensor out = run(c.op(), in);
        assertEquals(c.expected().dtype(), out.dtype(), "dtype of " + c.name());
        Assertions.assertShape(out, c.expected().shape());
        Assertions.assertClose(out, c.expected().dtype() == DType.FLOAT64 ? FLOAT64_TOL : FLOAT32_TOL,
                c.expected().values());
    }

    /** Runs op token {@code op[0]} with its arguments {@code op[1..]}. */
    private static Tensor run(String[] op, List<Tensor> x) {
        Tensor a = x.get(0);
        return switch (op[0]) {
            case "add" -> a.add(x.get(1));
            case "sub" -> a.sub(x.get(1));
            case "mul" -> a.mul(x.get(1));
            case "div" -> a.div(x.get(1));
            case "pow" -> a.pow(x.get(1));
            case "minimum" -> a.minimum(x.get(1));
            case "maximum" -> a.maximum(x.get(1));
            case "matmul" -> a.matmul(x.get(1));
            case "where" -> Tensor.where(a, x.get(1), x.get(2));
            case "maskedFill" -> a.maskedFill(x.get(1), num(op[1]));
            case "add_scalar" -> a.add(num(op[1]));
            case "sub_scalar" -> a.sub(num(op[1]));
            case "mul_scalar" -> a.mul(num(op[1]));
            case "div_scalar" -> a.div(num(op[1]));
            case "rsub" -> a.rsub(num(op[1]));
            case "pow_scalar" -> a.pow(num(op[1]));
            case "clamp" -> a.clamp(num(op[1]), num(op[2]));
            case "neg" -> a.neg();
            case "abs" -> a.abs();
            case "exp" -> a.exp();
            case "log" -> a.log();
            case "sqrt" -> a.sqrt();
            case "rsqrt" -> a.rsqrt();
            case "sin" -> a.sin();
            case "cos" -> a.cos();
            case "tanh" -> a.tanh();
            case "sigmoid" -> a.sigmoid();
            case "relu" -> a.relu();
            case "gelu" -> a.gelu();
            case "erf" -> a.erf();
            case "reciprocal" -> a.reciprocal();
            case "sum" -> a.sum();
            case "sum_dims" -> a.sum(dims(op[1]), bool(op[2]));
            case "mean" -> a.mean();
            case "mean_dims" -> a.mean(dims(op[1]), bool(op[2]));
            case "max" -> a.max();
            case "min" -> a.min();
            case "var" -> a.var();
            case "var_dims" -> a.var(dims(op[1]), Long.parseLong(op[2]), bool(op[3]));
            case "std" -> a.std();
            case "std_dims" -> a.std(dims(op[1]), Long.parseLong(op[2]), bool(op[3]));
            case "softmax" -> a.softmax(Long.parseLong(op[1]));
            case "logSoftmax" -> a.logSoftmax(Long.parseLong(op[1]));
            case "logsumexp" -> a.logsumexp(Long.parseLong(op[1]), bool(op[2]));
            default -> throw new IllegalArgumentException("op_references.txt names an unknown op: " + op[0]);
        };
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

    private static double num(String s) {
        return Double.parseDouble(s);
    }

    private static boolean bool(String s) {
        return Boolean.parseBoolean(s);
    }

    private static long[] dims(String s) {
        return Arrays.stream(s.split(",")).mapToLong(Long::parseLong).toArray();
    }
}
