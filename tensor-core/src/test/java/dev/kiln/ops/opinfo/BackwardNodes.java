package dev.kiln.ops.opinfo;

import dev.kiln.autograd.Graph;
import dev.kiln.autograd.Node;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

/**
 * Which backward formulas exist, and which ones the op table reaches.
 *
 * <p><b>Registered</b> ({@link #registered()}): every op records its formula with {@link Graph#record}, naming the
 * node the PyTorch way ({@code MulBackward0}, {@code CopySlices}; {@code Graph.record} asserts that pattern). The
 * names are string constants in the compiled classes, lambdas included (a lambda body compiles into a method of the
 * class that declares it), so reading the constant pools of every class of the main output finds every formula's
 * name without running anything, whatever calls or does not call the op. User-defined
 * {@code dev.kiln.autograd.Function}s are named at run time ({@code MyOpBackward}, no digit) and are not ops.
 *
 * <p><b>Reached</b> ({@link #reached}): runs every sample of an op list with gradients enabled and walks the graph
 * from each output, collecting node names. A formula is covered only if some sample really produces its node, not
 * because an entry claims it.
 */
final class BackwardNodes {
    /** PyTorch's node names: {@code <Op>Backward<N>}, and {@code CopySlices}. */
    static final Pattern NODE_NAME = Pattern.compile("[A-Z][A-Za-z0-9]*Backward[0-9]+|CopySlices");

    private BackwardNodes() {
    }

    /** The node names in the constant pools of the classes next to {@link Graph} (the main output or its jar). */
    static Set<String> registered() {
        Set<String> names = new TreeSet<>();
        try {
            Path where = Path.of(Graph.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(where)) {
                try (Stream<Path> files = Files.walk(where)) {
                    for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                        try (InputStream in = Files.newInputStream(p)) {
                            names.addAll(nodeNames(in));
                        }
                    }
                }
            } else {
                try (ZipFile jar = new ZipFile(where.toFile())) {
                    for (var e : jar.stream().filter(e -> e.getName().endsWith(".class")).toList()) {
                        try (InputStream in = jar.getInputStream(e)) {
                            names.addAll(nodeNames(in));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return names;
    }

    /** String constants of one class file that look like node names (JVMS 4.4: the constant pool). */
    static List<String> nodeNames(InputStream classFile) throws IOException {
        DataInputStream in = new DataInputStream(classFile);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort(); // minor
        in.readUnsignedShort(); // major
        int count = in.readUnsignedShort();
        String[] utf8 = new String[count];
        List<Integer> strings = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();                 // Utf8 (modified UTF-8, as DataInput reads it)
                case 8 -> strings.add(in.readUnsignedShort());   // String -> Utf8 index
                case 7, 16, 19, 20 -> in.readUnsignedShort();    // Class, MethodType, Module, Package
                case 15 -> in.skipNBytes(3);                     // MethodHandle
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
                case 5, 6 -> {                                   // Long, Double take two slots
                    in.skipNBytes(8);
                    i++;
                }
                default -> throw new IOException("unknown constant pool tag " + tag + " at " + i);
            }
        }
        List<String> out = new ArrayList<>();
        for (int idx : strings) {
            if (NODE_NAME.matcher(utf8[idx]).matches()) {
                out.add(utf8[idx]);
            }
        }
        return out;
    }

    /** Node name to the samples (of {@code ops}) whose graphs contain it. */
    static Map<String, Set<String>> reached(Collection<OpInfo> ops) {
        Map<String, Set<String>> out = new TreeMap<>();
        for (OpInfo op : ops) {
            for (Sample s : op.samples()) {
                try (TensorScope scope = TensorScope.open()) {
                    Tensor y = s.run(s.inputs(DType.FLOAT64, true));
                    for (String name : graphNames(y.gradFn())) {
                        out.computeIfAbsent(name, k -> new TreeSet<>()).add(s.key());
                    }
                }
            }
        }
        return out;
    }

    private static Set<String> graphNames(Node root) {
        Set<String> names = new TreeSet<>();
        Map<Node, Boolean> seen = new IdentityHashMap<>();
        ArrayDeque<Node> stack = new ArrayDeque<>();
        if (root != null) {
            stack.push(root);
        }
        while (!stack.isEmpty()) {
            Node n = stack.pop();
            if (seen.put(n, Boolean.TRUE) != null) {
                continue;
            }
            if (!n.name().equals("AccumulateGrad")) {
                names.add(n.name());
            }
            for (Node next : n.nextFunctions()) {
                if (next != null) {
                    stack.push(next);
                }
            }
        }
        return names;
    }
}
