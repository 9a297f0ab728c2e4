package dev.kiln.ops.opinfo;

import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One row of the op table, like PyTorch's {@code OpInfo}: an op's samples and what every generic harness needs to
 * know about it.
 *
 * <ul>
 *   <li>{@link #samples()}: inputs covering broadcasting, 0-d and empty shapes where the op allows them, each with
 *       the PyTorch expression that is its reference;</li>
 *   <li>{@link #dtypes()}: floating dtypes the reference harness runs it in (float64, float32, float16 and
 *       bfloat16 by default; gradcheck always runs float64);</li>
 *   <li>{@link #devices()}: where it must run; CUDA entries are what the CPU-vs-CUDA parity runner checks;</li>
 *   <li>{@link #numpyTokens()}: the op tokens of {@code op_references.txt} (numpy goldens) that this op runs;</li>
 *   <li>{@link #fastPath()}: present when a float32 kernel differs from the generic path float64 takes, with the
 *       extra samples that reach it and how close its gradients must be.</li>
 * </ul>
 * Which arguments get gradients is per sample ({@link Arg#grad()}).
 */
public final class OpInfo {
    /** Runs one {@code op_references.txt} case: {@code args} are the tokens after the op name. */
    @FunctionalInterface
    public interface NumpyRun {
        Tensor apply(String[] args, List<Tensor> inputs);
    }

    /**
     * A float32 fast path: its samples (the table samples plus {@code extra}) run with inputs rounded to quarters,
     * where float32 must equal float64 rounded to float32 bit for bit in the forward pass, and gradients within
     * {@code backwardUlps} float32 ulps (0 for ops whose gradient is exact on quarters; a few for gradients that
     * multiply by a rounded transcendental, e.g. {@code exp}).
     */
    public record FastPath(int backwardUlps, List<Sample> extra) {
    }

    private final String name;
    private final List<Sample> samples = new ArrayList<>();
    private final Set<DType> dtypes = EnumSet.of(DType.FLOAT64, DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16);
    private final Set<Device.Type> devices = EnumSet.of(Device.Type.CPU, Device.Type.CUDA);
    private final Map<String, NumpyRun> numpy = new LinkedHashMap<>();
    private FastPath fastPath;
    private double halfTolerance = 1;

    private OpInfo(String name) {
        this.name = name;
    }

    public static OpInfo op(String name) {
        return new OpInfo(name);
    }

    /** A sample: {@code torch} is a Python expression over {@code x0, x1, ...} ({@code null}: no torch reference). */
    public static Sample s(String name, Sample.Call call, String torch, Arg... args) {
        return new Sample(name, call, torch, args);
    }

    public OpInfo samples(Sample... more) {
        for (Sample s : more) {
            samples.add(s.bind(name));
        }
        return this;
    }

    public OpInfo numpy(String token, NumpyRun run) {
        numpy.put(token, run);
        return this;
    }

    public OpInfo fastPath(int backwardUlps, Sample... extra) {
        List<Sample> bound = new ArrayList<>();
        for (Sample s : extra) {
            bound.add(s.bind(name));
        }
        fastPath = new FastPath(backwardUlps, List.copyOf(bound));
        return this;
    }

    /** Restricts the dtypes the reference harness runs (e.g. float64 only). */
    public OpInfo dtypes(DType... only) {
        dtypes.clear();
        dtypes.addAll(List.of(only));
        return this;
    }

    /**
     * Widens the float16/bfloat16 reference tolerance ({@code Checks.tol}) by {@code factor} for an op that rounds
     * intermediate results to the half type between composed kernels, with the reason at the call site.
     */
    public OpInfo halfTolerance(double factor) {
        halfTolerance = factor;
        return this;
    }

    /** The factor of {@link #halfTolerance}; 1 unless set. */
    public double halfToleranceFactor() {
        return halfTolerance;
    }

    public String name() {
        return name;
    }

    public List<Sample> samples() {
        return Collections.unmodifiableList(samples);
    }

    public Set<DType> dtypes() {
        return Collections.unmodifiableSet(dtypes);
    }

    public Set<Device.Type> devices() {
        return Collections.unmodifiableSet(devices);
    }

    public Set<String> numpyTokens() {
        return Collections.unmodifiableSet(numpy.keySet());
    }

    public NumpyRun numpyRun(String token) {
        return numpy.get(token);
    }

    /** The float32 fast path, or null when float32 takes the same generic code as float64. */
    public FastPath fastPath() {
        return fastPath;
    }

    /** The samples the fast-path harness runs: every table sample, then the fast path's own. */
    public List<Sample> fastPathSamples() {
        List<Sample> all = new ArrayList<>(samples);
        all.addAll(fastPath.extra());
        return all;
    }

    @Override
    public String toString() {
        return name;
    }
}
