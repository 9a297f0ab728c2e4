#!/usr/bin/env python3
"""torch.nn.utils.clip_grad_norm_ from real PyTorch (1.13): the returned total norm and the clipped gradients for
norm types 2, 1, 3, 0.5, inf, -inf and 0, for float64 and float32 gradients, below and above max_norm.
Three parameters; the second has no gradient. Java mirror: dev.kiln.nn.utils.ClipGradTorchTest.
Writes src/test/resources/dev/kiln/nn/clip_torch.txt.

Run:  /usr/bin/python3 src/test/python/gen_clip_torch.py
"""
import math

import torch

from torch_golden import Records, resource

R = Records("gen_clip_torch.py")
torch.manual_seed(2)
G1 = torch.randn(3, 4, dtype=torch.float64) * 2
G1[0, 1] = 0.0
G3 = torch.randn(5, dtype=torch.float64)
R.put("g1", G1)
R.put("g3", G3)
NORMS = {"2": 2.0, "1": 1.0, "3": 3.0, "0.5": 0.5, "inf": math.inf, "-inf": -math.inf, "0": 0.0}

for dtype_name, dtype in (("f64", torch.float64), ("f32", torch.float32)):
    for max_norm in (1.5, 1000.0):
        for name, p in NORMS.items():
            params = [torch.nn.Parameter(G1.to(dtype).clone()), torch.nn.Parameter(torch.ones(2, dtype=dtype)),
                      torch.nn.Parameter(G3.to(dtype).clone())]
            params[0].grad = G1.to(dtype).clone()
            params[2].grad = G3.to(dtype).clone()
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=p)
            key = f"clip.{dtype_name}.{max_norm}.{name}"
            R.put(key + ".total", total)
            R.put(key + ".g1", params[0].grad)
            R.put(key + ".g3", params[2].grad)
R.write(resource("nn", "clip_torch.txt"))
