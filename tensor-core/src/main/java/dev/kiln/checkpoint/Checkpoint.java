package dev.kiln.checkpoint;

import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A training checkpoint in one safetensors file, enough to resume a run bit for bit: model and optimizer tensors,
 * plus everything else as JSON in the header's {@code __metadata__}.
 * <pre>
 * tensors    "model.&lt;state-dict key&gt;"                 e.g. model.0.weight
 *            "optimizer.state.&lt;param index&gt;.&lt;name&gt;"     e.g. optimizer.state.0.exp_avg
 * metadata   "format": "kiln-checkpoint-v1"
 *            "kiln.checkpoint": {"epoch": E, "step": S,
 *                                "optimizer": {"param_groups": [...], "state": {"0": {"step": 3.0}}},
 *                                "scheduler": {...} | null,
 *                                "rng": {"default": [5 longs], "generators": {"name": [5 longs]}}}
 * </pre>
 * Optimizer {@code param_groups} and per-parameter numbers are PyTorch's {@code state_dict} layout; scheduler state
 * is {@link LRScheduler#stateDict()}; RNG state is {@link Generator#getState()} of the default generator and of any
 * named generators (data shuffling, dropout with its own generator). The model part can be read by any safetensors
 * reader (strip the {@code model.} prefix to get a PyTorch state dict).
 *
 * <p>Loading copies into the given, already built objects (as PyTorch's {@code load_state_dict} does); the model
 * is loaded strictly. Temporaries are freed before {@link #load} returns.
 */
public final class Checkpoint {
    public static final String FORMAT = "kiln-checkpoint-v1";
    private static final String MODEL = "model.";
    private static final String OPTIM = "optimizer.state.";

    private Checkpoint() {
    }

    /** Where training stopped: the epoch and global step saved with the checkpoint. */
    public record Resume(long epoch, long step) {
    }

    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch, long step)
            throws IOException {
        save(path, model, optimizer, scheduler, epoch, step, Map.of());
    }

    /** Saves everything above; {@code optimizer} and {@code scheduler} may be null. */
    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch, long step,
                            Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
                tensors.put(MODEL + e.getKey(), e.getValue());
            }
            LinkedHashMap<String, Object> info = new LinkedHashMap<>();
            info.put("epoch", epoch);
            info.put("step", step);
            info.put("optimizer", optimizer == null ? null : packOptimizer(optimizer.stateDict(), tensors));
            info.put("scheduler", scheduler == null ? null : scheduler.stateDict());
            LinkedHashMap<String, Object> rng = new LinkedHashMap<>();
            rng.put("default", Generator.defaultGenerator().getState());
            LinkedHashMap<String, Object> named = new LinkedHashMap<>();
            generators.forEach((k, g) -> named.put(k, g.getState()));
            rng.put("generators", named);
            info.put("rng", rng);
            LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
            metadata.put("format", FORMAT);
            metadata.put("kiln.checkpoint", Json.write(info));
            Safetensors.save(tensors, path, metadata);
        }
    }

    /** Optimizer numbers and groups as JSON-ready data; its tensors go into {@code tensors}. */
    private static LinkedHashMap<String, Object> packOptimizer(Optimizer.StateDict sd, Map<String, Tensor> tensors) {
        LinkedHashMap<String, Object> state = new LinkedHashMap<>();
        for (var e : sd.state().entrySet()) {
            LinkedHashMap<String, Object> numbers = new LinkedHashMap<>();
            for (var v : e.getValue().entrySet()) {
                if (v.getValue() instanceof Tensor t) {
                    tensors.put(OPTIM + e.getKey() + "." + v.getKey(), t);
                } else {
                    numbers.put(v.getKey(), v.getValue());
                }
            }
            state.put(String.valueOf(e.getKey()), numbers);
        }
        LinkedHashMap<String, Object> out = new LinkedHashMap<>();
        out.put("param_groups", sd.paramGroups());
        out.put("state", state);
        return out;
    }

    public static Resume load(Path path, Module model, Optimizer optimizer, LRScheduler scheduler) throws IOException {
        return load(path, model, optimizer, scheduler, Map.of());
    }

    /**
     * Restores {@code model}, {@code optimizer} and {@code scheduler} (either may be null to skip it), the default
     * generator and each named generator from {@code path}; returns the saved epoch and step.
     */
    public static Resume load(Path path, Module model, Optimizer optimizer, LRScheduler scheduler,
                              Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            Safetensors.Contents c = Safetensors.read(path);
            Map<String, Object> info = info(path, c.metadata());
            LinkedHashMap<String, Tensor> modelState = new LinkedHashMap<>();
            for (var e : c.tensors().entrySet()) {
                if (e.getKey().startsWith(MODEL)) {
                    modelState.put(e.getKey().substring(MODEL.length()), e.getValue());
                }
            }
            model.loadStateDict(modelState);
            if (optimizer != null) {
                optimizer.loadStateDict(unpackOptimizer(path, map(path, info, "optimizer"), c.tensors()));
            }
            if (scheduler != null) {
                scheduler.loadStateDict(map(path, info, "scheduler"));
            }
            Map<String, Object> rng = map(path, info, "rng");
            Generator.defaultGenerator().setState(longs(path, rng.get("default"), "rng.default"));
            Map<String, Object> named = map(path, rng, "generators");
            for (var g : generators.entrySet()) {
                if (!named.containsKey(g.getKey())) {
                    throw new IllegalArgumentException(path + ": checkpoint has no generator '" + g.getKey()
                            + "'; it has " + named.keySet());
                }
                g.getValue().setState(longs(path, named.get(g.getKey()), "rng.generators." + g.getKey()));
            }
            return new Resume(((Number) info.get("epoch")).longValue(), ((Number) info.get("step")).longValue());
        }
    }

    private static Map<String, Object> info(Path path, Map<String, String> metadata) throws SafetensorsException {
        if (!FORMAT.equals(metadata.get("format")) || !metadata.containsKey("kiln.checkpoint")) {
            throw new SafetensorsException(path, "not a Kiln checkpoint (metadata format is "
                    + metadata.get("format") + ", expected " + FORMAT + ")");
        }
        try {
            Object parsed = Json.parse(metadata.get("kiln.checkpoint"));
            if (parsed instanceof Map<?, ?> m && m.get("epoch") instanceof Number && m.get("step") instanceof Number) {
                @SuppressWarnings("unchecked")
                Map<String, Object> out = (Map<String, Object>) m;
                return out;
            }
            throw new SafetensorsException(path, "kiln.checkpoint metadata lacks epoch and step");
        } catch (Json.ParseException e) {
            throw new SafetensorsException(path, "kiln.checkpoint metadata is not valid JSON: " + e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Path path, Map<String, Object> parent, String key)
            throws SafetensorsException {
        Object v = parent.get(key);
        if (!(v instanceof Map<?, ?>)) {
            throw new SafetensorsException(path, "checkpoint has no '" + key + "' section");
        }
        return (Map<String, Object>) v;
    }

    private static long[] longs(Path path, Object v, String what) throws SafetensorsException {
        if (!(v instanceof List<?> l)) {
            throw new SafetensorsException(path, what + " must be a list of integers");
        }
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long x)) {
                throw new SafetensorsException(path, what + " must be a list of integers");
            }
            out[i] = x;
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Optimizer.StateDict unpackOptimizer(Path path, Map<String, Object> packed,
                                                       Map<String, Tensor> tensors) throws SafetensorsException {
        if (!(packed.get("param_groups") instanceof List<?> groups)) {
            throw new SafetensorsException(path, "optimizer section has no param_groups");
        }
        List<LinkedHashMap<String, Object>> paramGroups = new ArrayList<>();
        for (Object g : groups) {
            paramGroups.add(new LinkedHashMap<>((Map<String, Object>) g));
        }
        LinkedHashMap<Integer, LinkedHashMap<String, Object>> state = new LinkedHashMap<>();
        for (var e : map(path, packed, "state").entrySet()) {
            state.put(Integer.parseInt(e.getKey()), new LinkedHashMap<>((Map<String, Object>) e.getValue()));
        }
        for (var t : tensors.entrySet()) {
            if (t.getKey().startsWith(OPTIM)) {
                String rest = t.getKey().substring(OPTIM.length());
                int dot = rest.indexOf('.');
                int index = Integer.parseInt(rest.substring(0, dot));
                state.computeIfAbsent(index, k -> new LinkedHashMap<>()).put(rest.substring(dot + 1), t.getValue());
            }
        }
        return new Optimizer.StateDict(state, paramGroups);
    }
}
