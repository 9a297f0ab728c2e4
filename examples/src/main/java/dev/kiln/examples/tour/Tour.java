package dev.kiln.examples.tour;

import dev.kiln.examples.cli.Cli;
import dev.kiln.examples.cli.Flags;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A runnable tour of Kiln through the snippets of five PyTorch tutorials (the team's seed texts): tensors and
 * broadcasting, views, autograd, {@code detach}, custom functions, {@code nn.Module}, a training step checked by
 * hand, data loading, a training loop, save/load, and an all-reduce. Each line prints the Kiln code and its result.
 *
 * <p>The numbers are the mathematically right ones, which in places differ from the tutorials' printouts: for
 * {@code z = (w·x + b)²} at x=3, w=2, b=1 the gradients are dz/dw = 2(wx+b)·x = 42, dz/db = 14, dz/dx = 28; and in
 * the "all weights 0.1" CNN example every logit is equal, so the first convolution's gradient is exactly 0 (a
 * softmax over equal logits is uniform, and the fully connected layer's equal weights then sum the loss gradient,
 * which is 0, into every feature), not the printed {@code -0.0782}.
 *
 * <p>Every key result is also recorded in {@link #results()}, which {@code TourTest} checks against the math.
 */
public final class Tour {
    private final PrintStream out;
    private final Map<String, double[]> results = new LinkedHashMap<>();

    Tour(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] args) {
        Flags flags = new Flags("tour", "Runs the PyTorch tutorials' snippets in Kiln and prints each result.");
        Cli.main(flags, args, a -> new Tour(System.out).runAll());
    }

    /** Runs every section, each in its own scope (every tensor freed at the end). */
    void runAll() throws Exception {
        section("1. Tensors: creation, arithmetic, broadcasting, indexing", () -> TensorsTour.tensors(this));
        section("2. Views share storage; a transpose is not contiguous", () -> TensorsTour.views(this));
        section("3. Autograd", () -> TensorsTour.autograd(this));
        section("4. detach() shares storage, and autograd notices in-place edits", () -> TensorsTour.detach(this));
        section("5. nn.Module, requires_grad, freezing", () -> TrainingTour.modules(this));
        section("6. One training step checked by hand (all weights 0.1)", () -> TrainingTour.handChecked(this));
        section("7. Dataset, DataLoader, a training loop, eval, save/load", () -> TrainingTour.loop(this));
        section("8. Distributed: all_reduce over two ranks (TCP on loopback)", () -> TrainingTour.allReduce(this));
        out.println();
        out.println("GPU: Kiln runs on the CPU (Device.CPU); a CUDA backend is not part of this build, so the "
                + "tutorials' .to(\"cuda\") and autocast lines have no Kiln counterpart yet.");
    }

    /** A section body. */
    interface Body {
        void run() throws Exception;
    }

    void section(String title, Body body) throws Exception {
        out.println();
        out.println("== " + title);
        try (TensorScope scope = TensorScope.open()) {
            body.run();
        }
    }

    /** Prints {@code code  ->  result}. */
    void show(String code, Object result) {
        String r = String.valueOf(result).replace("\n", "\n" + " ".repeat(Math.max(code.length(), 44) + 8));
        out.printf("  %-44s  ->  %s%n", code, r);
    }

    /** Prints a comment line. */
    void note(String text) {
        out.println("  # " + text);
    }

    /** Records a tensor's values under {@code key} (for the test) and prints it. */
    void record(String key, String code, Tensor t) {
        results.put(key, t.to(dev.kiln.tensor.DType.FLOAT64).contiguous().toDoubleArray());
        show(code, t);
    }

    /** Records a shape and prints it as PyTorch does. */
    void recordShape(String key, String code, long[] shape) {
        results.put(key, doubles(shape));
        show(code, shape(shape));
    }

    /** Records a flag (as 0/1) and prints it as true/false. */
    void recordFlag(String key, String code, boolean flag) {
        results.put(key, new double[] {flag ? 1 : 0});
        show(code, flag);
    }

    /** Records plain numbers (counts, values). */
    void record(String key, String code, double... values) {
        results.put(key, values.clone());
        show(code, values.length == 1 ? format(values[0]) : Arrays.toString(values));
    }

    static String shape(long[] s) {
        return "torch.Size(" + Arrays.toString(s) + ")";
    }

    static double[] doubles(long[] v) {
        return Arrays.stream(v).asDoubleStream().toArray();
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }

    Map<String, double[]> results() {
        return results;
    }

    static List<Tensor> list(Tensor... t) {
        return List.of(t);
    }
}
