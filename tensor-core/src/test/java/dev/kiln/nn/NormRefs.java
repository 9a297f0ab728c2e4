package dev.kiln.nn;

import dev.kiln.tensor.Tensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads {@code norm_references.txt}, written by {@code src/test/python/gen_norm_references.py} (numpy float64),
 * in the same {@code key TAB shape TAB values} format as {@link References}.
 */
final class NormRefs {
    private record Entry(long[] shape, double[] values) {
    }

    private static final Map<String, Entry> ENTRIES = load();

    private NormRefs() {
    }

    private static Map<String, Entry> load() {
        Map<String, Entry> out = new HashMap<>();
        try (InputStream in = NormRefs.class.getResourceAsStream("/dev/kiln/nn/norm_references.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] p = line.split("\t", -1);
                long[] shape = p[1].isEmpty() ? new long[0]
                        : Arrays.stream(p[1].split(",")).mapToLong(Long::parseLong).toArray();
                double[] values = Arrays.stream(p[2].trim().split(" ")).mapToDouble(Double::parseDouble).toArray();
                out.put(p[0], new Entry(shape, values));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static Entry entry(String key) {
        Entry e = ENTRIES.get(key);
        if (e == null) {
            throw new IllegalArgumentException("no reference '" + key + "'; rerun gen_norm_references.py");
        }
        return e;
    }

    static double[] values(String key) {
        return entry(key).values().clone();
    }

    static double scalar(String key) {
        return entry(key).values()[0];
    }

    /** The reference as a float64 tensor of its recorded shape. */
    static Tensor tensor(String key) {
        Entry e = entry(key);
        return Tensor.of(e.values()).reshape(e.shape());
    }
}
