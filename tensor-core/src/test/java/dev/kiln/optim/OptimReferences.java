package dev.kiln.optim;

import dev.kiln.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads {@code optim_references.txt}, written by {@code src/test/python/gen_optim_references.py} (numpy float64):
 * lines {@code key TAB shape TAB values}.
 */
public final class OptimReferences {
    private record Entry(long[] shape, double[] values) {
    }

    private static final Map<String, Entry> ENTRIES = load();

    private OptimReferences() {
    }

    private static Map<String, Entry> load() {
        Map<String, Entry> out = new HashMap<>();
        try (InputStream in = OptimReferences.class.getResourceAsStream("/dev/kiln/optim/optim_references.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                String[] dims = parts[1].isEmpty() ? new String[0] : parts[1].split(",");
                long[] shape = new long[dims.length];
                for (int i = 0; i < dims.length; i++) {
                    shape[i] = Long.parseLong(dims[i]);
                }
                String[] vals = parts[2].trim().split(" ");
                double[] values = new double[vals.length];
                for (int i = 0; i < vals.length; i++) {
                    values[i] = Double.parseDouble(vals[i]);
                }
                out.put(parts[0], new Entry(shape, values));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Entry entry(String key) {
        Entry e = ENTRIES.get(key);
        if (e == null) {
            throw new IllegalArgumentException("no reference '" + key + "'; rerun gen_optim_references.py");
        }
        return e;
    }

    public static double[] values(String key) {
        return entry(key).values().clone();
    }

    public static double scalar(String key) {
        return entry(key).values()[0];
    }

    /** Row {@code row} of a 2-d reference. */
    public static double[] row(String key, int row) {
        Entry e = entry(key);
        int cols = (int) e.shape()[1];
        double[] out = new double[cols];
        System.arraycopy(e.values(), row * cols, out, 0, cols);
        return out;
    }

    public static int rows(String key) {
        return (int) entry(key).shape()[0];
    }

    /** The reference as a float64 tensor. */
    public static Tensor tensor(String key) {
        Entry e = entry(key);
        return Tensor.of(e.values()).reshape(e.shape());
    }
}
