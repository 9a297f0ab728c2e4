package dev.kiln.spark.ml;

import dev.kiln.checkpoint.Json;
import dev.kiln.nn.Module;
import dev.kiln.spark.train.ModelFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;

/**
 * An architecture as data — a {@link Module} class name and its constructor arguments — so that it can be saved as
 * JSON next to the weights and rebuilt on load without deserializing any Java bytes:
 *
 * <pre>{@code
 * ModelSpec spec = ModelSpec.sequential(
 *     ModelSpec.of("Linear", 784, 128), ModelSpec.of("ReLU"), ModelSpec.of("Linear", 128, 10));
 * // or ModelSpec.mlp(784, 128, 10); saved as
 * // {"class":"dev.kiln.nn.Sequential","args":[{"class":"dev.kiln.nn.Linear","args":[784,128]},...]}
 * new KilnEstimator().setModelFactory(spec) ...      // a ModelSpec is a ModelFactory
 * }</pre>
 *
 * <h2>The rule (what a saved model may name, and what loading it runs)</h2>
 * <ul>
 *   <li>{@code class} is a fully qualified class name, or a simple name meaning {@code dev.kiln.nn.<name>}. It must
 *       be a public, concrete subclass of {@link Module}, checked <em>before</em> the class is initialized; any other
 *       class is refused.</li>
 *   <li>{@code args} are JSON values only: numbers, strings (also for enum constants such as {@code "FLOAT64"}),
 *       booleans, null, arrays (for array and varargs parameters), and nested specs (for {@code Module}
 *       parameters). The public constructor whose parameter types accept them is called; integers fit
 *       {@code int}/{@code long} parameters exactly and widen to {@code double}; an ambiguous match is an error.</li>
 *   <li>Loading therefore runs only the public constructors of Module classes on the classpath, never Java
 *       deserialization of stored bytes. Your own Module class works if it is on the classpath of the driver and the
 *       executors (a jar, not a class typed into a REPL) and has a public constructor of such arguments.</li>
 * </ul>
 * A lambda {@link ModelFactory} stays the way to build models in one session; to save a model built from a lambda,
 * give it a spec that builds the same architecture ({@link KilnModel#setModelSpec}).
 */
public final class ModelSpec implements ModelFactory {
    private static final long serialVersionUID = 1L;
    /** Where simple class names are looked up. */
    public static final String DEFAULT_PACKAGE = "dev.kiln.nn";

    private final String className;
    private final List<Object> args; // normalized: null, Boolean, Long, Double, String, ModelSpec, List (of these)

    private ModelSpec(String className, List<Object> args) {
        this.className = className;
        this.args = args;
    }

    /**
     * A spec for {@code new className(args...)}. Arguments may be Java numbers, strings, booleans, enums, null,
     * primitive or object arrays / lists, and nested {@code ModelSpec}s (never built {@code Module} instances).
     */
    public static ModelSpec of(String className, Object... args) {
        if (className == null || className.isBlank()) {
            throw new IllegalArgumentException("ModelSpec needs a Module class name, got '" + className + "'");
        }
        String name = className.contains(".") ? className : DEFAULT_PACKAGE + "." + className;
        List<Object> normalized = new ArrayList<>();
        for (int i = 0; i < (args == null ? 0 : args.length); i++) {
            normalized.add(normalize(args[i], name + " argument " + i));
        }
        return new ModelSpec(name, Collections.unmodifiableList(normalized));
    }

    /** {@code Sequential(layers...)}. */
    public static ModelSpec sequential(ModelSpec... layers) {
        return of("Sequential", (Object[]) layers);
    }

    /**
     * A multilayer perceptron {@code Linear(s0, s1), ReLU(), ..., Linear(s[n-2], s[n-1])} in a {@code Sequential}:
     * {@code mlp(784, 128, 10)} has one hidden layer of 128 units.
     */
    public static ModelSpec mlp(int... sizes) {
        if (sizes == null || sizes.length < 2) {
            throw new IllegalArgumentException("mlp needs at least an input and an output size, got "
                    + java.util.Arrays.toString(sizes));
        }
        List<ModelSpec> layers = new ArrayList<>();
        for (int i = 0; i + 1 < sizes.length; i++) {
            if (i > 0) {
                layers.add(of("ReLU"));
            }
            layers.add(of("Linear", sizes[i], sizes[i + 1]));
        }
        return sequential(layers.toArray(ModelSpec[]::new));
    }

    /** Parses the JSON form written by {@link #toJson()}; the error names the offending part. */
    public static ModelSpec parse(String json) {
        try {
            return fromJsonValue(Json.parse(json), "architecture");
        } catch (Json.ParseException e) {
            throw new IllegalArgumentException("architecture is not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Builds the module (a fresh one, with initial weights). */
    @Override
    public Module create() {
        return SpecBuilder.build(this);
    }

    /** The fully qualified Module class name. */
    public String className() {
        return className;
    }

    /** The normalized arguments: null, Boolean, Long, Double, String, ModelSpec, or lists of these. */
    public List<Object> args() {
        return args;
    }

    /** {@code {"class": "...", "args": [...]}} (args omitted when there are none). */
    public String toJson() {
        return Json.write(toJsonValue());
    }

    Map<String, Object> toJsonValue() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class", className);
        if (!args.isEmpty()) {
            m.put("args", jsonArgs(args));
        }
        return m;
    }

    private static List<Object> jsonArgs(List<Object> values) {
        List<Object> out = new ArrayList<>();
        for (Object v : values) {
            if (v instanceof ModelSpec s) {
                out.add(s.toJsonValue());
            } else if (v instanceof List<?> l) {
                out.add(jsonArgs(new ArrayList<>(l)));
            } else {
                out.add(v);
            }
        }
        return out;
    }

    static ModelSpec fromJsonValue(Object v, String where) {
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + " must be a JSON object {\"class\": ..., \"args\": [...]}, got "
                    + Json.write(v));
        }
        for (Object key : m.keySet()) {
            if (!key.equals("class") && !key.equals("args")) {
                throw new IllegalArgumentException(where + " has an unknown key '" + key + "'; expected class, args");
            }
        }
        if (!(m.get("class") instanceof String cls) || cls.isBlank()) {
            throw new IllegalArgumentException(where + " needs a \"class\" string, got " + Json.write(m.get("class")));
        }
        Object rawArgs = m.containsKey("args") ? m.get("args") : List.of();
        if (!(rawArgs instanceof List<?> list)) {
            throw new IllegalArgumentException(where + ".args must be a JSON array, got " + Json.write(rawArgs));
        }
        return of(cls, argsFromJson(list, where + "(" + cls + ")").toArray());
    }

    private static List<Object> argsFromJson(List<?> list, String where) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            Object a = list.get(i);
            if (a instanceof Map<?, ?>) {
                out.add(fromJsonValue(a, where + ".args[" + i + "]"));
            } else if (a instanceof List<?> l) {
                out.add(argsFromJson(l, where + ".args[" + i + "]"));
            } else {
                out.add(a);
            }
        }
        return out;
    }

    private static Object normalize(Object a, String where) {
        if (a == null || a instanceof Boolean || a instanceof String || a instanceof ModelSpec) {
            return a;
        } else if (a instanceof Long || a instanceof Integer || a instanceof Short || a instanceof Byte) {
            return ((Number) a).longValue();
        } else if (a instanceof Double || a instanceof Float) {
            double d = ((Number) a).doubleValue();
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(where + " is " + d + "; a ModelSpec holds only finite numbers");
            }
            return d;
        } else if (a instanceof Enum<?> e) {
            return e.name();
        } else if (a instanceof Module) {
            throw new IllegalArgumentException(where + " is a built " + a.getClass().getSimpleName() + "; pass a "
                    + "ModelSpec instead (ModelSpec.of(\"" + a.getClass().getName() + "\", ...)), which can be saved");
        } else if (a.getClass().isArray()) {
            List<Object> out = new ArrayList<>();
            for (int i = 0; i < java.lang.reflect.Array.getLength(a); i++) {
                out.add(normalize(java.lang.reflect.Array.get(a, i), where + "[" + i + "]"));
            }
            return Collections.unmodifiableList(out);
        } else if (a instanceof Iterable<?> it) {
            List<Object> out = new ArrayList<>();
            for (Object o : it) {
                out.add(normalize(o, where + "[" + out.size() + "]"));
            }
            return Collections.unmodifiableList(out);
        }
        throw new IllegalArgumentException(where + " has type " + a.getClass().getName() + "; a ModelSpec argument "
                + "must be a number, string, boolean, enum, null, array/list, or nested ModelSpec");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec s && s.className.equals(className) && s.args.equals(args);
    }

    @Override
    public int hashCode() {
        return Objects.hash(className, args);
    }

    /** PyTorch-like: {@code Sequential(Linear(4, 16), ReLU(), Linear(16, 3))}. */
    @Override
    public String toString() {
        StringJoiner j = new StringJoiner(", ", simpleName() + "(", ")");
        for (Object a : args) {
            j.add(a instanceof String s ? Json.write(s) : String.valueOf(a));
        }
        return j.toString();
    }

    private String simpleName() {
        return className.startsWith(DEFAULT_PACKAGE + ".") ? className.substring(DEFAULT_PACKAGE.length() + 1)
                : className;
    }
}
