#!/usr/bin/env python3
"""Real-PyTorch references for every (op, sample) of Kiln's op table (tensor-core/src/test/java/dev/kiln/ops/opinfo).

The Java table is the only place samples are defined. Its harness (OpTorchReferenceTest) writes a request file,
``tensor-core/target/opinfo-torch-requests.txt``, with each sample's inputs, its PyTorch expression over ``x0, x1,
...`` and an upstream gradient ``v``. This script evaluates every expression with torch in float64 and writes the
output and the vector-Jacobian product ``v^T J`` for each input that takes gradients, echoing the inputs so the Java
side notices when a sample's inputs change.

Run from the repository root (needs Debian's python3-torch 1.13):

    ./mvnw -B -o -q verify -pl tensor-core -am -Dtest=OpTorchReferenceTest -Dsurefire.failIfNoSpecifiedTests=false
    /usr/bin/python3 tensor-core/src/test/python/gen_opinfo_torch.py

(the first command fails until the references exist; it writes the request file either way).

Records (dev.kiln.testing.Golden format), for a sample with key ``op|sample``:
    op|sample|in<i>    the float input i as drawn (index and mask inputs are not echoed)
    op|sample|out      torch's output, as float64
    op|sample|dtype    torch's output dtype: 0 float64, 1 float32, 2 int64, 3 bool
    op|sample|v        the upstream gradient (differentiable samples only)
    op|sample|grad<i>  the gradient of input i (zeros where the output does not depend on it)
"""
import os
import sys

import torch
import torch.nn.functional as F

from torch_golden import Records, resource

DTYPE_CODES = {torch.float64: 0, torch.float32: 1, torch.int64: 2, torch.bool: 3}


def parse(path):
    """Yields (key, expr, inputs, v) per record; inputs are (kind, grad, shape, values)."""
    record = None
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("case "):
                if record:
                    yield record
                record = {"key": line[5:], "inputs": [], "v": None}
            elif line.startswith("torch "):
                record["torch"] = line[6:]
            elif line.startswith("in "):
                head, values = line[3:].split(" :", 1)
                _, kind, grad, shape = head.split(" ")
                record["inputs"].append((kind, grad == "1", dims(shape), values.split()))
            elif line.startswith("v "):
                shape, values = line[2:].split(" :", 1)
                record["v"] = (dims(shape), values.split())
    if record:
        yield record


def dims(text):
    return () if text == "-" else tuple(int(s) for s in text.split(","))


def tensor(kind, grad, shape, values):
    if kind == "float":
        t = torch.tensor([float(v) for v in values], dtype=torch.float64).reshape(shape)
        return t.requires_grad_(grad)
    if kind == "index":
        return torch.tensor([int(v) for v in values], dtype=torch.int64).reshape(shape)
    return torch.tensor([int(v) != 0 for v in values], dtype=torch.bool).reshape(shape)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "..", "target", "opinfo-torch-requests.txt")
    path = sys.argv[1] if len(sys.argv) > 1 else default
    records = Records("gen_opinfo_torch.py")
    count = 0
    for r in parse(path):
        xs = [tensor(*i) for i in r["inputs"]]
        env = {"torch": torch, "F": F}
        env.update({f"x{i}": x for i, x in enumerate(xs)})
        out = eval(r["torch"], env)
        key = r["key"]
        for i, (kind, _, _, _) in enumerate(r["inputs"]):
            if kind == "float":
                records.put(f"{key}|in{i}", xs[i])
        records.put(f"{key}|out", out)
        records.put(f"{key}|dtype", [DTYPE_CODES[out.dtype]])
        if r["v"] is not None:
            shape, values = r["v"]
            v = torch.tensor([float(s) for s in values], dtype=torch.float64).reshape(shape).to(out.dtype)
            diff = [(i, x) for i, x in enumerate(xs) if x.requires_grad]
            grads = torch.autograd.grad(out, [x for _, x in diff], v, allow_unused=True)
            records.put(f"{key}|v", v)
            for (i, x), g in zip(diff, grads):
                records.put(f"{key}|grad{i}", torch.zeros_like(x) if g is None else g)
        count += 1
    records.write(resource("ops", "opinfo", "opinfo_torch.txt"))
    print(f"{count} samples")


if __name__ == "__main__":
    main()
