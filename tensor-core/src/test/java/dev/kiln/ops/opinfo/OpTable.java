package dev.kiln.ops.opinfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The op table: every differentiable op with its samples, the single list the generic harnesses iterate
 * ({@code OpGradCheckTest}, {@code OpReferenceTest}, {@code OpTorchReferenceTest}, {@code Float32FastPathTest},
 * and {@code DeviceParity}: the stand-in device here, the GPU in tensor-cuda); {@code OpTableCoverageTest} fails
 * when a backward formula registered in {@code dev.kiln.ops} has no entry here. To add an op: add an {@link OpInfo} to its family's list (or a new family
 * below), with its PyTorch expression per sample, then regenerate the torch references
 * ({@code src/test/python/README.md}).
 */
public final class OpTable {
    private static final List<OpInfo> ALL = build();

    private OpTable() {
    }

    private static List<OpInfo> build() {
        List<OpInfo> all = new ArrayList<>();
        all.addAll(PointwiseOps.all());
        all.addAll(ReductionOps.all());
        all.addAll(LinalgOps.all());
        all.addAll(ShapeOps.all());
        all.addAll(IndexingOps.all());
        all.addAll(ConvOps.all());
        all.addAll(AutogradOps.all());
        Set<String> names = new HashSet<>();
        Set<String> keys = new HashSet<>();
        Map<String, String> tokens = new HashMap<>();
        for (OpInfo op : all) {
            if (!names.add(op.name())) {
                throw new IllegalStateException("op table: two entries named " + op.name());
            }
            if (op.samples().isEmpty()) {
                throw new IllegalStateException("op table: " + op.name() + " has no samples");
            }
            List<Sample> samples = new ArrayList<>(op.samples());
            if (op.fastPath() != null) {
                samples.addAll(op.fastPath().extra());
            }
            for (Sample s : samples) {
                if (!keys.add(s.key())) {
                    throw new IllegalStateException("op table: two samples named " + s.key());
                }
            }
            for (String t : op.numpyTokens()) {
                String before = tokens.put(t, op.name());
                if (before != null) {
                    throw new IllegalStateException("op table: numpy token " + t + " claimed by " + before + " and "
                            + op.name());
                }
            }
        }
        return List.copyOf(all);
    }

    public static List<OpInfo> all() {
        return ALL;
    }

    public static OpInfo get(String name) {
        return ALL.stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no op " + name + " in the op table"));
    }

    /** Every (op, sample) pair of the table (fast-path extras excluded). */
    public static Stream<Sample> samples() {
        return ALL.stream().flatMap(o -> o.samples().stream());
    }

    /** The entry that runs {@code op_references.txt} token {@code token}, or null. */
    public static OpInfo byNumpyToken(String token) {
        return ALL.stream().filter(o -> o.numpyTokens().contains(token)).findFirst().orElse(null);
    }

    // ---------------------------------------------------------------- argument tokens of op_references.txt

    static double num(String s) {
        return Double.parseDouble(s);
    }

    static boolean bool(String s) {
        return Boolean.parseBoolean(s);
    }

    static long[] dims(String s) {
        return Arrays.stream(s.split(",")).mapToLong(Long::parseLong).toArray();
    }
}
