package dev.kiln.nn;

import dev.kiln.tensor.DType;
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
 * Reads {@code nn_references.txt}, written by {@code src/test/python/gen_nn_references.py} (numpy float64):
 * lines {@code key TAB shape TAB values}.
 */
public final class References {
    private record Entry(long[] shape, double[] values) {
    }

    private static final Map<String, Entry> ENTRIES = load();

    private References() {
    }

    private static Map<String, Entry> load() {
        Map<String, Entry> out = new HashMap<>();
        try (InputStream in = References.class.getResourceAsStream("/dev/kiln/nn/nn_references.txt");
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split("\t", -1);
                out.put(parts[0], new Entry(parseLongs(parts[1], ","), parseDoubles(parts[2])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static long[] parseLongs(String s, String sep) {
        if (s.isEmpty()) {
            return new long[0];
        }
        String[] p = s.split(sep);
        long[] out = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Long.parseLong(p[i]);
        }
        return out;
    }

    private static double[] parseDoubles(String s) {
        String[] p = s.trim().split(" ");
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Double.parseDouble(p[i]);
        }
        return out;
    }

    private static Entry entry(String key) {
        Entry e = ENTRIES.get(key);
        if (e == null) {
            throw new IllegalArgumentException("no reference '" + key + "'; rerun gen_nn_references.py");
        }
        return e;
    }

    public static double[] values(String key) {
        return entry(key).values().clone();
    }

    public static double scalar(String key) {
        return entry(key).values()[0];
    }

    /** The reference as a float64 tensor (int64 when {@code dtype} says so). */
    public static Tensor tensor(String key, DType dtype) {
        Entry e = entry(key);
        Tensor t = Tensor.of(e.values());
        Tensor typed = dtype == DType.FLOAT64 ? t : t.to(dtype);
        return typed.reshape(e.shape());
    }

    public static Tensor tensor(String key) {
        return tensor(key, DType.FLOAT64);
    }
}
