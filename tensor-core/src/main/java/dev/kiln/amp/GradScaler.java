package dev.kiln.amp;

import dev.kiln.autograd.Autograd;
import dev.kiln.optim.Optimizer;
import dev.kiln.optim.ParamGroup;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Dynamic loss scaling for float16 training, PyTorch's {@code torch.cuda.amp.GradScaler} algorithm, for any device:
 * <pre>{@code
 * GradScaler scaler = new GradScaler();
 * for (...) {
 *     optimizer.zeroGrad();
 *     Tensor loss;
 *     try (Autocast ac = Autocast.enable(Device.Type.CUDA)) { loss = lossFn.forward(model.forward(x), y); }
 *     scaler.scale(loss).backward();     // gradients of loss * S: small float16 gradients do not flush to zero
 *     scaler.unscale_(optimizer);        // optional: divides the gradients by S now (e.g. before ClipGrad)
 *     scaler.step(optimizer);            // unscales if not done yet; skips the step if any gradient is inf/NaN
 *     scaler.update();                   // S *= backoffFactor after a skipped step; S *= growthFactor after
 * }                                      //   growthInterval clean steps in a row
 * }</pre>
 * The scale {@code S} is a float32 value (initially {@code initScale}); {@code unscale_} multiplies every gradient by
 * {@code float32(1 / S)} (the reciprocal taken in float64, as PyTorch does) and records whether any gradient held an
 * inf or NaN before that. {@code update()}: if any optimizer of this iteration found one,
 * {@code S = S * backoffFactor} and the growth tracker resets; else the tracker counts the clean step and, when it
 * reaches {@code growthInterval}, {@code S = S * growthFactor} (kept only if finite) and it resets. Every state
 * change raises PyTorch's error when called out of order (unscale_ twice, step twice, update before any step).
 * A disabled scaler passes everything through ({@code scale} returns its argument, {@code step} just steps).
 */
public final class GradScaler {
    private enum Stage { READY, UNSCALED, STEPPED }

    /** Per optimizer, between two updates. */
    private static final class OptState {
        Stage stage = Stage.READY;
        boolean foundInf;
    }

    private final boolean enabled;
    private float scale;
    private double growthFactor;
    private double backoffFactor;
    private long growthInterval;
    private long growthTracker;
    private boolean scaleUsed;
    private final Map<Optimizer, OptState> perOptimizer = new IdentityHashMap<>();

    /** PyTorch's defaults: {@code initScale 65536, growthFactor 2, backoffFactor 0.5, growthInterval 2000}. */
    public GradScaler() {
        this(65536.0, 2.0, 0.5, 2000, true);
    }

    public GradScaler(double initScale, double growthFactor, double backoffFactor, long growthInterval,
                      boolean enabled) {
        if (!(growthFactor > 1.0)) {
            throw new IllegalArgumentException("The growth factor must be > 1.0, got " + growthFactor);
        }
        if (!(backoffFactor < 1.0)) {
            throw new IllegalArgumentException("The backoff factor must be < 1.0, got " + backoffFactor);
        }
        if (growthInterval <= 0) {
            throw new IllegalArgumentException("growth_interval must be a positive integer, got " + growthInterval);
        }
        this.enabled = enabled;
        this.scale = (float) initScale;
        this.growthFactor = growthFactor;
        this.backoffFactor = backoffFactor;
        this.growthInterval = growthInterval;
    }

    public boolean isEnabled() {
        return enabled;
    }

    /** {@code outputs * S} (the outputs themselves when disabled). */
    public Tensor scale(Tensor outputs) {
        if (!enabled) {
            return outputs;
        }
        scaleUsed = true;
        return outputs.mul(scale);
    }

    /**
     * Divides the gradients of {@code optimizer}'s parameters by the scale, in place, and records whether any was
     * inf or NaN. At most once per optimizer between updates, and before {@link #step}.
     */
    public void unscale_(Optimizer optimizer) {
        if (!enabled) {
            return;
        }
        requireScale("unscale_");
        OptState s = perOptimizer.computeIfAbsent(optimizer, o -> new OptState());
        if (s.stage == Stage.UNSCALED) {
            throw new IllegalStateException("unscale_() has already been called on this optimizer since the last "
                    + "update().");
        }
        if (s.stage == Stage.STEPPED) {
            throw new IllegalStateException("unscale_() is being called after step().");
        }
        float inv = (float) (1.0 / (double) scale);
        s.foundInf = unscaleGrads(optimizer, inv);
        s.stage = Stage.UNSCALED;
    }

    /** Multiplies every gradient by {@code inv}; true if any held an inf or NaN (checked with one host read). */
    private static boolean unscaleGrads(Optimizer optimizer, float inv) {
        try (var g = Autograd.noGrad(); TensorScope scope = TensorScope.open()) {
            Tensor nonFinite = null; // sum of grad * 0 over all gradients: NaN exactly when one is inf or NaN
            for (ParamGroup group : optimizer.paramGroups()) {
                for (Tensor p : group.params()) {
                    Tensor grad = p.grad();
                    if (grad == null) {
                        continue;
                    }
                    if (grad.dtype() == DType.FLOAT16) { // the recipe keeps float32 master weights
                        throw new IllegalArgumentException("Attempting to unscale FP16 gradients.");
                    }
                    Tensor probe = grad.mul(0).sum().to(DType.FLOAT32);
                    nonFinite = nonFinite == null ? probe : nonFinite.add(probe);
                    grad.mul_(inv);
                }
            }
            return nonFinite != null && Double.isNaN(nonFinite.item());
        }
    }

    /**
     * Unscales {@code optimizer}'s gradients if {@link #unscale_} was not called, then runs
     * {@code optimizer.step()} unless a gradient was inf or NaN; returns whether it stepped.
     */
    public boolean step(Optimizer optimizer) {
        if (!enabled) {
            optimizer.step();
            return true;
        }
        requireScale("step");
        OptState s = perOptimizer.computeIfAbsent(optimizer, o -> new OptState());
        if (s.stage == Stage.STEPPED) {
            throw new IllegalStateException("step() has already been called since the last update().");
        }
        if (s.stage == Stage.READY) {
            unscale_(optimizer);
        }
        s.stage = Stage.STEPPED;
        if (s.foundInf) {
            return false;
        }
        optimizer.step();
        return true;
    }

    /**
     * Updates the scale from this iteration's inf checks (see the class comment) and resets the per-optimizer state
     * for the next iteration.
     */
    public void update() {
        if (!enabled) {
            return;
        }
        requireScale("update");
        if (perOptimizer.isEmpty()) {
            throw new IllegalStateException("No inf checks were recorded prior to update.");
        }
        boolean foundInf = perOptimizer.values().stream().anyMatch(s -> s.foundInf);
        if (foundInf) {
            scale = (float) (scale * backoffFactor);
            growthTracker = 0;
        } else {
            long successful = growthTracker + 1;
            if (successful == growthInterval) {
                float grown = (float) (scale * growthFactor);
                if (Float.isFinite(grown)) {
                    scale = grown;
                }
                growthTracker = 0;
            } else {
                growthTracker = successful;
            }
        }
        perOptimizer.clear();
    }

    /** Sets the scale to {@code newScale} directly ({@code update(new_scale)}), resetting the iteration's state. */
    public void update(double newScale) {
        if (!enabled) {
            return;
        }
        scale = (float) newScale;
        perOptimizer.clear();
    }

    private void requireScale(String what) {
        if (!scaleUsed) {
            throw new IllegalStateException("Attempted " + what + " but the scale was never used. This may indicate "
                    + "your script did not use scaler.scale(loss or outputs) earlier in the iteration.");
        }
    }

    /** The current scale (1.0 when disabled). */
    public double getScale() {
        return enabled ? scale : 1.0;
    }

    public double getGrowthFactor() {
        return growthFactor;
    }

    public double getBackoffFactor() {
        return backoffFactor;
    }

    public long getGrowthInterval() {
        return growthInterval;
    }

    /** Clean steps counted toward the next growth. */
    public long getGrowthTracker() {
        return growthTracker;
    }

    /**
     * PyTorch's keys: {@code scale}, {@code growth_factor}, {@code backoff_factor}, {@code growth_interval},
     * {@code _growth_tracker}; empty when disabled.
     */
    public LinkedHashMap<String, Object> stateDict() {
        LinkedHashMap<String, Object> sd = new LinkedHashMap<>();
        if (enabled) {
            sd.put("scale", (double) scale);
            sd.put("growth_factor", growthFactor);
            sd.put("backoff_factor", backoffFactor);
            sd.put("growth_interval", growthInterval);
            sd.put("_growth_tracker", growthTracker);
        }
        return sd;
    }

    /** Restores a {@link #stateDict}; a no-op when disabled. */
    public void loadStateDict(Map<String, Object> sd) {
        if (!enabled) {
            return;
        }
        if (sd.isEmpty()) {
            throw new IllegalStateException("The source state dict is empty, possibly because it was saved from a "
                    + "disabled instance of GradScaler.");
        }
        for (String key : new String[] {"scale", "growth_factor", "backoff_factor", "growth_interval",
            "_growth_tracker"}) {
            if (!(sd.get(key) instanceof Number)) {
                throw new IllegalArgumentException("GradScaler state dict: missing or non-numeric '" + key + "', got "
                        + sd.keySet());
            }
        }
        scale = ((Number) sd.get("scale")).floatValue();
        growthFactor = ((Number) sd.get("growth_factor")).doubleValue();
        backoffFactor = ((Number) sd.get("backoff_factor")).doubleValue();
        growthInterval = ((Number) sd.get("growth_interval")).longValue();
        growthTracker = ((Number) sd.get("_growth_tracker")).longValue();
        scaleUsed = true; // a restored scaler continues an existing run
    }
}
