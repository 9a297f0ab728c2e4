package dev.kiln.checkpoint;

import dev.kiln.nn.Module;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.lr.LRScheduler;
import dev.kiln.tensor.Generator;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
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
 * <p>Saving to a path is atomic (a temporary file beside it, forced to disk, renamed over it). Loading copies into
 * the given, already built objects (as PyTorch's {@code load_state_dict} does) and is atomic too: the whole file is
 * read into temporaries and checked against the objects first, so a file that does not fit leaves model,
 * optimizer, scheduler and generators as they were. The model is loaded strictly. Temporaries are freed before
 * {@code load} returns. The stream variants carry the same bytes, for storage that is not a local path (e.g. a
 * Hadoop {@code FileSystem} in a Spark trainer).
 */
public final class Checkpoint {
    public static final String FORMAT = "kiln-checkpoint-v1";
    private static final String STREAM = "checkpoint stream";

    private Checkpoint() {
    }

    /** Where training stopped: the epoch and global step saved with the checkpoint. */
    public record Resume(long epoch, long step) {
    }

    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch, long step)
            throws IOException {
        save(path, model, optimizer, scheduler, epoch, step, Map.of());
    }

    /** Saves everything above to {@code path}, atomically; {@code optimizer} and {@code scheduler} may be null. */
    public static void save(Path path, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch, long step,
                            Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = pack(tensors, model, optimizer, scheduler, epoch, step, generators);
            Safetensors.save(tensors, path, metadata);
        }
    }

    public static void save(OutputStream out, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch,
                            long step) throws IOException {
        save(out, model, optimizer, scheduler, epoch, step, Map.of());
    }

    /** Writes the same bytes as a saved file to {@code out}, which is flushed but left open. */
    public static void save(OutputStream out, Module model, Optimizer optimizer, LRScheduler scheduler, long epoch,
                            long step, Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = pack(tensors, model, optimizer, scheduler, epoch, step, generators);
            Safetensors.write(tensors, out, metadata, Safetensors.Precision.NATIVE);
        }
    }

    /** Fills {@code tensors} and returns the metadata. */
    private static Map<String, String> pack(Map<String, Tensor> tensors, Module model, Optimizer optimizer,
                                            LRScheduler scheduler, long epoch, long step,
                                            Map<String, Generator> generators) {
        for (Map.Entry<String, Tensor> e : model.stateDict().entrySet()) {
            tensors.put(CheckpointReader.MODEL + e.getKey(), e.getValue());
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
        return metadata;
    }

    /** Optimizer numbers and groups as JSON-ready data; its tensors go into {@code tensors}. */
    private static LinkedHashMap<String, Object> packOptimizer(Optimizer.StateDict sd, Map<String, Tensor> tensors) {
        LinkedHashMap<String, Object> state = new LinkedHashMap<>();
        for (var e : sd.state().entrySet()) {
            LinkedHashMap<String, Object> numbers = new LinkedHashMap<>();
            for (var v : e.getValue().entrySet()) {
                if (v.getValue() instanceof Tensor t) {
                    tensors.put(CheckpointReader.OPTIM + e.getKey() + "." + v.getKey(), t);
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
     * generator and each named generator from {@code path}; returns the saved epoch and step. All or nothing.
     */
    public static Resume load(Path path, Module model, Optimizer optimizer, LRScheduler scheduler,
                              Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            return apply(path.toString(), Safetensors.read(path), model, optimizer, scheduler, generators);
        }
    }

    public static Resume load(InputStream in, Module model, Optimizer optimizer, LRScheduler scheduler)
            throws IOException {
        return load(in, model, optimizer, scheduler, Map.of());
    }

    /** {@link #load(Path, Module, Optimizer, LRScheduler, Map)} from a stream, read to its end (not closed). */
    public static Resume load(InputStream in, Module model, Optimizer optimizer, LRScheduler scheduler,
                              Map<String, Generator> generators) throws IOException {
        try (var scope = TensorScope.open()) {
            return apply(STREAM, Safetensors.read(in, STREAM), model, optimizer, scheduler, generators);
        }
    }

    /**
     * Checks everything, then copies. Order: the scheduler (rolled back if the model then fails), the model (whose
     * {@code loadStateDict} checks keys and shapes before it copies), then the optimizer and generators, which
     * were fully checked up front and cannot fail.
     */
    private static Resume apply(String source, Safetensors.Contents c, Module model, Optimizer optimizer,
                                LRScheduler scheduler, Map<String, Generator> generators) throws IOException {
        CheckpointReader.Plan plan = CheckpointReader.read(source, c, optimizer, scheduler != null,
                List.copyOf(generators.keySet()));
        LinkedHashMap<String, Object> schedulerBefore = scheduler == null ? null : scheduler.stateDict();
        try {
            if (scheduler != null) {
                loadScheduler(source, scheduler, plan.scheduler());
            }
            model.loadStateDict(plan.model());
        } catch (RuntimeException e) {
            if (scheduler != null) {
                scheduler.loadStateDict(schedulerBefore);
            }
            throw e;
        }
        if (optimizer != null) {
            optimizer.loadStateDict(plan.optimizer());
        }
        Generator.defaultGenerator().setState(plan.defaultRng());
        for (var g : generators.entrySet()) {
            g.getValue().setState(plan.generators().get(g.getKey()));
        }
        return new Resume(plan.epoch(), plan.step());
    }

    private static void loadScheduler(String source, LRScheduler scheduler, Map<String, Object> state) {
        try {
            scheduler.loadStateDict(state);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": scheduler state does not fit " + scheduler.getClass()
                    .getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
