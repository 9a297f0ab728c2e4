package dev.kiln.testing;

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
 * A golden-value file written by one of the checked-in numpy generators under {@code src/test/python/}: lines of
 * {@code key TAB shape(comma-separated) TAB values(space-separated)}; blank lines and {@code #} comments skipped.
 */
public final class Golden {
    private record Entry(long[] shape, double[] values) {
    }

    private final Map<String, Entry> entries;
    private final String generator;

    private Golden(Map<String, Entry> entries, String generator) {
        this.entries = entries;
        this.generator = generator;
    }

    /** Reads the classpath resource {@code resource}, produced by the script named {@code generator}. */
    public static Golden load(String resource, String generator) {
        Map<String, Entry> out = new HashMap<>();
        InputStream in = Golden.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + resource + "; run " + generator);
        }
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] parts = line.split("\t", -1);
                    out.put(parts[0], new Entry(parseShape(parts[1]), parseValues(parts[2])));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Golden(out, generator);
    }

    private static long[] parseShape(String s) {
        if (s.isEmpty()) {
            return new long[0];
        }
        String[] p = s.split(",");
        long[] out = new long[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Long.parseLong(p[i]);
        }
        return out;
    }

    private static double[] parseValues(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return new double[0];
        }
        String[] p = t.split(" ");
        double[] out = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = Double.parseDouble(p[i]);
        }
        return out;
    }

    private Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new IllegalArgumentException("no reference '" + key + "'; rerun " + generator);
        }
        return e;
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    public long[] shape(String key) {
        return entry(key).shape().clone();
    }

    public double[] values(String key) {
        return entry(key).values().clone();
    }

    public double scalar(String key) {
        return entry(key).values()[0];
    }

    /** Row {@code row} of a 2-d reference. */
    public double[] row(String key, int row) {
        Entry e = entry(key);
        int cols = (int) e.shape()[1];
        double[] out = new double[cols];
        System.arraycopy(e.values(), row * cols, out, 0, cols);
        return out;
    }

    public int rows(String key) {
        return (int) entry(key).shape()[0];
    }

    /** The reference as a tensor of {@code dtype} (values are stored as float64). */
    public Tensor tensor(String key, DType dtype) {
        Entry e = entry(key);
        Tensor t = Tensor.of(e.values());
        Tensor typed = dtype == DType.FLOAT64 ? t : t.to(dtype);
        return typed.reshape(e.shape());
    }

    public Tensor tensor(String key) {
        return tensor(key, DType.FLOAT64);
    }
}
