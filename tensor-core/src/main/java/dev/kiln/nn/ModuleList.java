package dev.kiln.nn;

import java.util.ArrayList;
import java.util.List;

/**
 * Holds submodules in a list so they are registered (named {@code "0"}, {@code "1"}, ...), like
 * {@code torch.nn.ModuleList}. It has no forward: the owner iterates it.
 */
public class ModuleList extends Module implements Iterable<Module> {
    public ModuleList(Module... modules) {
        for (Module m : modules) {
            append(m);
        }
    }

    public ModuleList append(Module module) {
        registerModule(Integer.toString(ownChildren().size()), module);
        return this;
    }

    public Module get(int index) {
        return children().get(index < 0 ? index + size() : index);
    }

    public int size() {
        return ownChildren().size();
    }

    @Override
    public java.util.Iterator<Module> iterator() {
        return children().iterator();
    }

    /**
     * PyTorch's {@code ModuleList.__repr__} (2.x): runs of identical consecutive children collapse to
     * {@code (0-2): 3 x Linear(...)}.
     */
    @Override
    public String toString() {
        List<Module> items = children();
        if (items.isEmpty()) {
            return name() + "()";
        }
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= items.size(); i++) {
            String prev = items.get(i - 1).toString();
            if (i < items.size() && items.get(i).toString().equals(prev)) {
                continue;
            }
            int end = i - 1;
            String line = start == end ? "(" + start + "): " + prev
                    : "(" + start + "-" + end + "): " + (end - start + 1) + " x " + prev;
            lines.add(ModuleRepr.addIndent(line, 2));
            start = i;
        }
        return ModuleRepr.wrap(name(), lines, false);
    }
}
