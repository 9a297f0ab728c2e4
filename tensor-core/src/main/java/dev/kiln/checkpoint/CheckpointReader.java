package dev.kiln.checkpoint;

import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.tensor.Shapes;
import dev.kiln.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a checkpoint's safetensors contents into everything {@link Checkpoint#load} will copy, checking all of it
 * against the objects it will go into first, without touching them. What it cannot check without loading (the
 * scheduler's own validation; the model's keys and shapes, which {@code loadStateDict} checks before it copies)
 * the loader handles by order and rollback.
 */
final class CheckpointReader {
    static final String MODEL = "model.";
    static final String OPTIM = "optimizer.state.";

    private CheckpointReader() {
    }

    /** Everything to restore, parsed and checked. */
    record Plan(long epoch, long step, LinkedHashMap<String, Tensor> model, Optimizer.StateDict optimizer,
                Map<String, Object> scheduler, long[] defaultRng, Map<String, long[]> generators) {
    }

    static Plan read(String source, Safetensors.Contents c, Optimizer optimizer, boolean wantScheduler,
                     List<String> generatorNames) throws SafetensorsException {
        Map<String, Object> info = info(source, c.metadata());
        LinkedHashMap<String, Tensor> modelState = new LinkedHashMap<>();
        for (var e : c.tensors().entrySet()) {
            if (e.getKey().startsWith(MODEL)) {
                modelState.put(e.getKey().substring(MODEL.length()), e.getValue());
            }
        }
        Optimizer.StateDict sd = null;
        if (optimizer != null) {
            sd = unpackOptimizer(source, map(source, info, "optimizer"), c.tensors());
            checkOptimizer(source, sd, optimizer);
        }
        Map<String, Object> scheduler = wantScheduler ? map(source, info, "scheduler") : null;
        Map<String, Object> rng = map(source, info, "rng");
        long[] defaultRng = rngState(source, rng.get("default"), "rng.default");
        Map<String, Object> named = map(source, rng, "generators");
        Map<String, long[]> generators = new LinkedHashMap<>();
        for (String name : generatorNames) {
            if (!named.containsKey(name)) {
                throw new IllegalArgumentException(source + ": checkpoint has no generator '" + name + "'; it has "
                        + named.keySet());
            }
            generators.put(name, rngState(source, named.get(name), "rng.generators." + name));
        }
        return new Plan(((Number) info.get("epoch")).longValue(), ((Number) info.get("step")).longValue(),
                modelState, sd, scheduler, defaultRng, generators);
    }

    private static Map<String, Object> info(String source, Map<String, String> metadata)
            throws SafetensorsException {
        if (!Checkpoint.FORMAT.equals(metadata.get("format")) || !metadata.containsKey("kiln.checkpoint")) {
            throw new SafetensorsException(source, "not a Kiln checkpoint (metadata format is "
                    + metadata.get("format") + ", expected " + Checkpoint.FORMAT + ")");
        }
        try {
            Object parsed = Json.parse(metadata.get("kiln.checkpoint"));
            if (parsed instanceof Map<?, ?> m && m.get("epoch") instanceof Number && m.get("step") instanceof Number) {
                @SuppressWarnings("unchecked")
                Map<String, Object> out = (Map<String, Object>) m;
                return out;
            }
            throw new SafetensorsException(source, "kiln.checkpoint metadata lacks epoch and step");
        } catch (Json.ParseException e) {
            throw new SafetensorsException(source, "kiln.checkpoint metadata is not valid JSON: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(String source, Map<String, Object> parent, String key)
            throws SafetensorsException {
        Object v = parent.get(key);
        if (!(v instanceof Map<?, ?>)) {
            throw new SafetensorsException(source, "checkpoint has no '" + key + "' section");
        }
        return (Map<String, Object>) v;
    }

    /** A generator state: the 5 longs of {@code Generator.getState()}. */
    private static long[] rngState(String source, Object v, String what) throws SafetensorsException {
        if (!(v instanceof List<?> l) || l.size() != 5) {
            throw new SafetensorsException(source, what + " must be a list of 5 integers, got " + v);
        }
        long[] out = new long[5];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x)) {
                throw new SafetensorsException(source, what + " must be a list of 5 integers, got " + v);
            }
            out[i] = x;
        }
        return out;
    }

    private static Optimizer.StateDict unpackOptimizer(String source, Map<String, Object> packed,
                                                       Map<String, Tensor> tensors) throws SafetensorsException {
        if (!(packed.get("param_groups") instanceof List<?> groups)) {
            throw new SafetensorsException(source, "optimizer section has no param_groups");
        }
        List<LinkedHashMap<String, Object>> paramGroups = new ArrayList<>();
        for (Object g : groups) {
            paramGroups.add(groupOptions(source, g));
        }
        LinkedHashMap<Integer, LinkedHashMap<String, Object>> state = new LinkedHashMap<>();
        for (var e : map(source, packed, "state").entrySet()) {
            if (!(e.getValue() instanceof Map<?, ?> numbers)) {
                throw new SafetensorsException(source, "optimizer state " + e.getKey() + " must be an object");
            }
            LinkedHashMap<String, Object> s = new LinkedHashMap<>();
            for (var n : numbers.entrySet()) {
                if (!(n.getValue() instanceof Number x)) {
                    throw new SafetensorsException(source, "optimizer state " + e.getKey() + "." + n.getKey()
                            + " must be a number, got " + n.getValue());
                }
                s.put((String) n.getKey(), x.doubleValue());
            }
            state.put(index(source, e.getKey()), s);
        }
        for (var t : tensors.entrySet()) {
            if (t.getKey().startsWith(OPTIM)) {
                String rest = t.getKey().substring(OPTIM.length());
                int dot = rest.indexOf('.');
                if (dot <= 0) {
                    throw new SafetensorsException(source, t.getKey(), "expected optimizer.state.<index>.<name>");
                }
                state.computeIfAbsent(index(source, rest.substring(0, dot)), k -> new LinkedHashMap<>())
                        .put(rest.substring(dot + 1), t.getValue());
            }
        }
        return new Optimizer.StateDict(state, paramGroups);
    }

    /** A group's options as the optimizer keeps them: numbers as Double, flags as Boolean, plus its params. */
    private static LinkedHashMap<String, Object> groupOptions(String source, Object g) throws SafetensorsException {
        if (!(g instanceof Map<?, ?> m)) {
            throw new SafetensorsException(source, "optimizer param_groups entries must be objects, got " + g);
        }
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        for (var o : m.entrySet()) {
            Object v = o.getValue();
            if (o.getKey().equals("params") && v instanceof List<?>) {
                out.put("params", v);
            } else if (v instanceof Number x) {
                out.put((String) o.getKey(), x.doubleValue());
            } else if (v instanceof Boolean) {
                out.put((String) o.getKey(), v);
            } else {
                throw new SafetensorsException(source, "optimizer option '" + o.getKey()
                        + "' must be a number or a boolean, got " + v);
            }
        }
        return out;
    }

    private static int index(String source, String text) throws SafetensorsException {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new SafetensorsException(source, "optimizer state index '" + text + "' is not an integer");
        }
    }

    /** What {@code Optimizer.loadStateDict} needs to succeed, and state tensors shaped like their parameters. */
    private static void checkOptimizer(String source, Optimizer.StateDict sd, Optimizer optimizer)
            throws SafetensorsException {
        List<ParamGroup> groups = optimizer.paramGroups();
        if (sd.paramGroups().size() != groups.size()) {
            throw new SafetensorsException(source, "optimizer state has " + sd.paramGroups().size()
                    + " parameter groups, the optimizer has " + groups.size());
        }
        List<Tensor> flat = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            Object ids = sd.paramGroups().get(i).get("params");
            int want = groups.get(i).params().size();
            if (!(ids instanceof List<?> l) || l.size() != want) {
                throw new SafetensorsException(source, "optimizer param group " + i + " has "
                        + (ids instanceof List<?> l2 ? l2.size() : "no") + " params, the optimizer's has " + want);
            }
            flat.addAll(groups.get(i).params());
        }
        for (var e : sd.state().entrySet()) {
            int i = e.getKey();
            if (i < 0 || i >= flat.size()) {
                throw new SafetensorsException(source, "optimizer state for parameter " + i + ", but the optimizer has "
                        + flat.size() + " parameters");
            }
            for (var v : e.getValue().entrySet()) {
                if (v.getValue() instanceof Tensor t && !Arrays.equals(t.shape(), flat.get(i).shape())) {
                    throw new SafetensorsException(source, OPTIM + i + "." + v.getKey(), "shape "
                            + Shapes.str(t.shape()) + " does not match parameter " + i + " of shape "
                            + Shapes.str(flat.get(i).shape()));
                }
            }
        }
    }
}
