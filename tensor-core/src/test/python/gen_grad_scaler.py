#!/usr/bin/env python3
"""GradScaler references: a numpy re-implementation of PyTorch's documented dynamic loss scaling
(torch/cuda/amp/grad_scaler.py and the _amp_update_scale_ / _amp_foreach_non_finite_check_and_unscale_ kernels in
aten/src/ATen/native/cuda/AmpKernels.cu, 1.13). torch 1.13's GradScaler needs CUDA (its two kernels have no CPU
implementation), so this script is the reference. Read by dev.kiln.amp.GradScalerTest.

Run from the repository root: /usr/bin/python3 tensor-core/src/test/python/gen_grad_scaler.py

The run: a float32 parameter w [3], loss_t = sum((w * x_t - y)^2), SGD (lr 0.01), GradScaler(init_scale 1024,
growth_factor 2, backoff_factor 0.5, growth_interval 3), 10 iterations; x_t contains inf at iterations 3 and 7 and a
NaN at iteration 8 (so those steps are skipped and the scale backs off). Each iteration: grads of loss * scale (float32),
unscale_ (grad * float32(1/scale), reciprocal in float64), found_inf if any grad was non-finite, step unless found_inf,
update.

Records (dev.kiln.testing.Golden format):
    x|<t>          the input of iteration t; y, w0
    w|<t>          w after iteration t
    scale|<t>      the scale after update() of iteration t
    tracker|<t>    the growth tracker after update()
    stepped|<t>    1 when the optimizer stepped
"""
import numpy as np

from torch_golden import Records, resource

f32 = np.float32


class Scaler:
    def __init__(self, init_scale, growth_factor, backoff_factor, growth_interval):
        self.scale = f32(init_scale)
        self.growth_factor = growth_factor
        self.backoff_factor = backoff_factor
        self.growth_interval = growth_interval
        self.tracker = 0

    def unscale(self, grad):
        found_inf = not np.all(np.isfinite(grad))
        inv = f32(1.0 / float(self.scale))  # self._scale.double().reciprocal().float()
        return (grad * inv).astype(f32), found_inf

    def update(self, found_inf):
        if found_inf:
            self.scale = f32(self.scale * f32(self.backoff_factor))
            self.tracker = 0
        else:
            successful = self.tracker + 1
            if successful == self.growth_interval:
                grown = f32(self.scale * f32(self.growth_factor))
                if np.isfinite(grown):
                    self.scale = grown
                self.tracker = 0
            else:
                self.tracker = successful


def main():
    r = Records("gen_grad_scaler.py")
    rng = np.random.default_rng(3)
    w = rng.standard_normal(3).astype(f32)
    y = rng.standard_normal(3).astype(f32)
    r.put("w0", w.astype(np.float64))
    r.put("y", y.astype(np.float64))
    scaler = Scaler(1024.0, 2.0, 0.5, 3)
    lr = f32(0.01)
    for t in range(10):
        x = rng.standard_normal(3).astype(f32)
        if t in (3, 7):
            x[1] = np.inf
        if t == 8:
            x[2] = np.nan
        r.put(f"x|{t}", x.astype(np.float64))
        with np.errstate(invalid="ignore", over="ignore"):
            d = (w * x - y).astype(f32)
            grad = (f32(2) * d * x * scaler.scale).astype(f32)  # d(loss * S)/dw
            grad, found_inf = scaler.unscale(grad)
        stepped = not found_inf
        if stepped:
            w = (w - lr * grad).astype(f32)
        scaler.update(found_inf)
        r.put(f"w|{t}", w.astype(np.float64))
        r.put(f"scale|{t}", float(scaler.scale))
        r.put(f"tracker|{t}", scaler.tracker)
        r.put(f"stepped|{t}", 1 if stepped else 0)
    r.write(resource("amp", "grad_scaler.txt"))


if __name__ == "__main__":
    main()
