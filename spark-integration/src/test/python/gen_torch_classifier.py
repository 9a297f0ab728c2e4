#!/usr/bin/env python3
"""Trains a small classifier in real PyTorch (Debian's python3-torch) and writes what PyTorchParityTest checks:

  torch_classifier.safetensors  the module's state_dict (weights and BatchNorm buffers), laid out as
                                safetensors.torch.save_file does (written by hand: the safetensors package is not
                                installed here)
  torch_expected.safetensors    "inputs" [N, 6] float32 and PyTorch's eval-mode outputs for them: "logits" [N, 4],
                                "probability" (softmax) and "prediction" (argmax, int64)

The architecture, which the Java test builds as a ModelSpec:
  Sequential(Linear(6, 16), BatchNorm1d(16), ReLU(), Linear(16, 16), GELU(), Linear(16, 4))

Run from spark-integration/:  /usr/bin/python3 src/test/python/gen_torch_classifier.py
"""
import json
import os
import struct

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "spark", "torch")
DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}


def save_safetensors(tensors, path):
    """Header: 8-byte little-endian length, compact JSON (with __metadata__), padded with spaces to 8 bytes;
    tensors ordered by dtype size (widest first) then name, as safetensors.torch does."""
    order = sorted(tensors, key=lambda k: (-tensors[k].element_size(), k))
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in order:
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()  # little-endian on x86
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    torch.manual_seed(1234)
    model = nn.Sequential(nn.Linear(6, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 16), nn.GELU(),
                          nn.Linear(16, 4))
    # A few training steps on 4 Gaussian blobs, so the weights and BatchNorm's running statistics are not the
    # initial ones (the running stats only move in train mode).
    centers = torch.randn(4, 6) * 3
    y = torch.arange(256) % 4
    x = centers[y] + torch.randn(256, 6)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for step in range(60):
        idx = torch.randperm(256)[:64]
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    model.eval()
    inputs = torch.cat([centers[torch.arange(24) % 4] + torch.randn(24, 6), torch.randn(8, 6) * 5])
    with torch.no_grad():
        logits = model(inputs)
    os.makedirs(OUT, exist_ok=True)
    save_safetensors(model.state_dict(), os.path.join(OUT, "torch_classifier.safetensors"))
    save_safetensors({"inputs": inputs, "logits": logits, "probability": torch.softmax(logits, 1),
                      "prediction": logits.argmax(1)}, os.path.join(OUT, "torch_expected.safetensors"))
    print("torch", torch.__version__, "final loss", float(loss), "keys", list(model.state_dict()))


if __name__ == "__main__":
    main()
