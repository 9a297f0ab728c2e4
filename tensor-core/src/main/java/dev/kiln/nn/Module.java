package dev.kiln.nn;

import dev.kiln.autograd.Autograd;
import dev.kiln.tensor.DType;
import dev.kiln.tensor.Device;
import dev.kiln.tensor.Tensor;
import dev.kiln.tensor.TensorScope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Base class of every layer and model, like {@code torch.nn.Module}.
 *
 * <p>A module registers its parameters, buffers and submodules by name in declaration order, so traversal order
 * and state-dict keys are exactly PyTorch's: own parameters, then own buffers, then each child under the prefix
 * {@code childName.} (e.g. {@code 0.weight}, {@code fc1.bias}). That is what lets checkpoints interchange with
 * PyTorch.
 *
 * <p>Memory: a module owns its parameters and buffers. Registration detaches them from any {@link TensorScope},
 * so a training step inside {@code try (var s = TensorScope.open())} frees activations but never weights. They
 * are released by {@link #close()}, which also closes children and the parameters' {@code .grad}.
 */
public abstract class Module implements AutoCloseable {
    private final Map<String, Tensor> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /**
     * The forward pass for single-input modules (what {@link Sequential} chains). Modules with other signatures
     * (losses take input and target) define their own {@code forward} and leave this one unsupported.
     */
    public Tensor forward(Tensor input) {
        throw new UnsupportedOperationException("Module [" + name() + "] is missing the required \"forward\" function");
    }

    // ---------------------------------------------------------------- registration

    /**
     * Registers {@code tensor} as a parameter (it is made to require grad and is detached from every scope: the
     * module now owns it), like {@code register_parameter}. A null tensor registers an absent parameter (e.g.
     * {@code bias=False}) that is skipped by traversal but keeps PyTorch's name reserved. Returns the tensor.
     */
    protected final Tensor registerParameter(String name, Tensor tensor) {
        checkName(name, parameters);
        if (tensor != null) {
            TensorScope.detach(tensor);
            if (!tensor.requiresGrad()) {
                tensor.requiresGrad_(true);
            }
        }
        parameters.put(name, tensor);
        return tensor;
    }

    /** Registers a buffer: state that is saved in the state dict but not trained (e.g. running statistics). */
    protected final Tensor registerBuffer(String name, Tensor tensor) {
        checkName(name, buffers);
        if (tensor != null) {
            TensorScope.detach(tensor);
        }
        buffers.put(name, tensor);
        return tensor;
    }

    /** Registers a child module under {@code name}, like {@code add_module}. Returns the child. */
    protected final <M extends Module> M registerModule(String name, M module) {
        checkName(name, children);
        children.put(name, module);
        return module;
    }

    /**
     * This module's own parameter {@code name} (null if registered as absent). Layers read their weights through
     * this rather than caching them in fields, because {@link #to(DType)} replaces the tensors.
     */
    protected final Tensor parameter(String name) {
        return parameters.get(name);
    }

    /** This module's own buffer {@code name} (null if absent); see {@link #parameter}. */
    protected final Tensor buffer(String name) {
        return buffers.get(name);
    }

    private void checkName(String name, Map<String, ?> target) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("module name can't be empty string \"\"");
        }
        if (name.contains(".")) {
            throw new IllegalArgumentException("module name can't contain \".\", got: " + name);
        }
        boolean taken = (target != parameters && parameters.containsKey(name))
                || (target != buffers && buffers.containsKey(name))
                || (target != children && children.containsKey(name));
        if (taken) {
            throw new IllegalArgumentException("attribute '" + name + "' already exists in " + name());
        }
    }

    // ---------------------------------------------------------------- traversal

    /** Parameters of this module and all descendants, each once (tied weights are not repeated). */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /**
     * {@code name -> parameter} with dotted names in PyTorch's order, skipping duplicates of the same tensor
     * (PyTorch's {@code remove_duplicate=True}).
     */
    public final LinkedHashMap<String, Tensor> namedParameters() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            for (Map.Entry<String, Tensor> p : e.getValue().parameters.entrySet()) {
                if (p.getValue() != null && seen.add(p.getValue())) {
                    out.put(qualify(e.getKey(), p.getKey()), p.getValue());
                }
            }
        }
        return out;
    }

    /** Buffers of this module and all descendants, in traversal order. */
    public final List<Tensor> buffers() {
        return new ArrayList<>(namedBuffers().values());
    }

    public final LinkedHashMap<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> e : namedModules().entrySet()) {
            for (Map.Entry<String, Tensor> b : e.getValue().buffers.entrySet()) {
                if (b.getValue() != null) {
                    out.put(qualify(e.getKey(), b.getKey()), b.getValue());
                }
            }
        }
        return out;
    }

    /** Immediate children, in registration order. */
    public final List<Module> children() {
        return new ArrayList<>(children.values());
    }

    public final LinkedHashMap<String, Module> namedChildren() {
        return new LinkedHashMap<>(children);
    }

    /** This module and all descendants in pre-order (self first), each once. */
    public final List<Module> modules() {
        return new ArrayList<>(namedModules().values());
    }

    /** Pre-order {@code dotted name -> module}; the root's name is {@code ""}, as in {@code named_modules()}. */
    public final LinkedHashMap<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collectModules("", Collections.newSetFromMap(new IdentityHashMap<>()), out);
        return out;
    }

    private void collectModules(String prefix, Set<Module> seen, Map<String, Module> out) {
        if (!seen.add(this)) {
            return;
        }
        out.put(prefix, this);
        for (Map.Entry<String, Module> c : children.entrySet()) {
            if (c.getValue() != null) {
                c.getValue().collectModules(qualify(prefix, c.getKey()), seen, out);
            }
        }
    }

    static String qualify(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** Own (non-recursive) slots, for state-dict code in this package; values may be null. */
    final Map<String, Tensor> ownParameters() {
        return parameters;
    }

    final Map<String, Tensor> ownBuffers() {
        return buffers;
    }

    final Map<String, Module> ownChildren() {
        return children;
    }

    // ---------------------------------------------------------------- modes and bulk operations

    /** Sets training mode on this module and every descendant (Dropout, BatchNorm react to it). */
    public Module train(boolean mode) {
        training = mode;
        for (Module c : children.values()) {
            c.train(mode);
        }
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** Evaluation mode, equivalent to {@code train(false)}. */
    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /**
     * Clears every parameter's gradient, closing it (PyTorch's default {@code set_to_none=True}): the next
     * backward allocates fresh gradients instead of accumulating into stale ones.
     */
    public void zeroGrad() {
        for (Tensor p : parameters()) {
            Tensor g = p.grad();
            if (g != null) {
                p.setGrad(null);
                g.close();
            }
        }
    }

    /** Sets {@code requiresGrad} on every parameter, e.g. to freeze a pretrained backbone. */
    public Module requiresGrad_(boolean requiresGrad) {
        for (Tensor p : parameters()) {
            p.requiresGrad_(requiresGrad);
        }
        return this;
    }

    /** Applies {@code fn} to every descendant (children first, recursively) and then to this module. */
    public Module apply(Consumer<Module> fn) {
        for (Module c : children.values()) {
            c.apply(fn);
        }
        fn.accept(this);
        return this;
    }

    /**
     * Casts every floating-point parameter and buffer (of this module and all descendants) to {@code dtype},
     * like {@code module.to(dtype)}; integer buffers such as BatchNorm's {@code num_batches_tracked} are kept.
     * The Module objects stay the same; each converted parameter is replaced by a new leaf tensor that requires
     * grad as before (its {@code .grad}, if any, is cast too) and the old tensor is closed. Tied weights stay
     * tied. NOTE: unlike PyTorch, the tensor objects change, so build optimizers after calling this.
     */
    public Module to(DType dtype) {
        if (!dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("nn.Module.to only accepts floating point or complex dtypes, but got "
                    + "desired dtype=" + dtype.torchName());
        }
        return replaceTensors(t -> t.dtype().isFloatingPoint() && t.dtype() != dtype, t -> t.to(dtype));
    }

    /** {@code to(DType.FLOAT16)}, PyTorch's {@code module.half()}. */
    public Module half() {
        return to(DType.FLOAT16);
    }

    /** {@code to(DType.BFLOAT16)}, PyTorch's {@code module.bfloat16()}. */
    public Module bfloat16() {
        return to(DType.BFLOAT16);
    }

    /**
     * Moves every parameter and buffer (of this module and all descendants) to {@code device}, like
     * {@code module.to(device)}: each tensor not already there is replaced by a copy on {@code device} (a leaf that
     * requires grad as before, its {@code .grad} moved too) and the old one is closed; tied weights stay tied. As
     * with {@link #to(DType)}, build optimizers after calling this. A device without a backend fails with the
     * backend's error, naming the device.
     */
    public Module to(Device device) {
        return replaceTensors(t -> !t.device().equals(device), t -> t.to(device));
    }

    /**
     * Replaces each parameter and buffer (of this module and all descendants) that {@code needs} it by
     * {@code convert(it)}, a new leaf: a parameter keeps {@code requiresGrad} and its {@code .grad} is converted too.
     * A tensor shared by several modules (tied weights) is converted once and stays shared; the old ones are closed.
     */
    private Module replaceTensors(Predicate<Tensor> needs, UnaryOperator<Tensor> convert) {
        Map<Tensor, Tensor> converted = new IdentityHashMap<>();
        try (var g = Autograd.noGrad()) {
            for (Module m : modules()) {
                m.parameters.replaceAll((k, p) -> replaceOwned(p, needs, convert, converted, true));
                m.buffers.replaceAll((k, b) -> replaceOwned(b, needs, convert, converted, false));
            }
        }
        for (Tensor old : converted.keySet()) {
            old.close();
        }
        return this;
    }

    private static Tensor replaceOwned(Tensor t, Predicate<Tensor> needs, UnaryOperator<Tensor> convert,
                                       Map<Tensor, Tensor> converted, boolean parameter) {
        if (t == null || !needs.test(t)) {
            return t;
        }
        return converted.computeIfAbsent(t, old -> {
            Tensor fresh = TensorScope.detach(convert.apply(old));
            if (parameter) {
                fresh.requiresGrad_(old.requiresGrad());
                if (old.grad() != null) {
                    fresh.setGrad(TensorScope.detach(convert.apply(old.grad())));
                }
            }
            return fresh;
        });
    }

    // ---------------------------------------------------------------- state dict

    /**
     * Parameters then buffers of each module in pre-order, keyed by dotted name, like {@code state_dict()}.
     * Values are detached views sharing the module's memory (so in-place edits are visible to the model); they
     * belong to the current {@link TensorScope} like any new tensor.
     */
    public LinkedHashMap<String, Tensor> stateDict() {
        return StateDicts.save(this);
    }

    /**
     * Copies {@code stateDict}'s values into this module's parameters and buffers under {@code noGrad}, like
     * {@code load_state_dict}. Shape mismatches always fail; with {@code strict}, missing and unexpected keys fail
     * too, with PyTorch's message. Returns the missing and unexpected keys.
     */
    public StateDicts.IncompatibleKeys loadStateDict(Map<String, Tensor> stateDict, boolean strict) {
        try (var g = Autograd.noGrad()) {
            return StateDicts.load(this, stateDict, strict);
        }
    }

    public StateDicts.IncompatibleKeys loadStateDict(Map<String, Tensor> stateDict) {
        return loadStateDict(stateDict, true);
    }

    // ---------------------------------------------------------------- printing and lifecycle

    /** The class name PyTorch prints, e.g. {@code Linear}. */
    protected String name() {
        return getClass().getSimpleName();
    }

    /** Extra text inside the parentheses of {@link #toString()}, like {@code extra_repr()}; empty by default. */
    protected String extraRepr() {
        return "";
    }

    /** The module tree exactly as PyTorch's {@code print(model)} shows it. */
    @Override
    public String toString() {
        return ModuleRepr.repr(this);
    }

    /** Releases this module's parameters (and their gradients), buffers and all children. Idempotent. */
    @Override
    public void close() {
        for (Tensor p : parameters.values()) {
            if (p != null) {
                p.close();
            }
        }
        for (Tensor b : buffers.values()) {
            if (b != null) {
                b.close();
            }
        }
        for (Module c : children.values()) {
            if (c != null) {
                c.close();
            }
        }
    }
}
