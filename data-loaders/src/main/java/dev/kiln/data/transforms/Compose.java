package dev.kiln.data.transforms;

import dev.kiln.tensor.Tensor;
import java.util.List;

/**
 * Several transforms applied in order, like {@code torchvision.transforms.Compose}. Intermediate tensors (outputs
 * that the next transform replaces) are freed as soon as they are consumed; the original input never is.
 */
public final class Compose implements Transform {
    private final List<Transform> transforms;

    private Compose(List<Transform> transforms) {
        this.transforms = List.copyOf(transforms);
    }

    public static Compose of(Transform... transforms) {
        if (transforms.length == 0) {
            throw new IllegalArgumentException("Compose needs at least one transform");
        }
        return new Compose(List.of(transforms));
    }

    @Override
    public Tensor apply(Tensor x) {
        Tensor cur = x;
        for (Transform t : transforms) {
            Tensor next = t.apply(cur);
            if (next != cur && cur != x) {
                cur.close();
            }
            cur = next;
        }
        return cur;
    }

    public List<Transform> transforms() {
        return transforms;
    }
}
