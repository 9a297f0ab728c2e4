#!/usr/bin/env python3
"""F16 and BF16 safetensors references written by real PyTorch (1.13) with the safetensors package
(safetensors.torch.save_file), and PyTorch's own float32/float64 -> float16/bfloat16 rounding, bit for bit.

Writes
  src/test/resources/dev/kiln/checkpoint/half_reference.safetensors   tensors 'h16' (F16 [2, 5]), 'b16' (BF16 [7]),
                                                                      'f32' (F32 [3]) and metadata {"format": "pt"}
  src/test/resources/dev/kiln/checkpoint/half_torch.txt               'h16.values', 'b16.values' (as float64),
      'src32' / 'src64' (inputs), 'src32.f16' / 'src32.bf16' / 'src64.f16' / 'src64.bf16' (the 16-bit patterns
      PyTorch's .half() / .bfloat16() give, as unsigned integers)

Needs torch and safetensors: /usr/bin/python3 -m venv --system-site-packages V && V/bin/pip install safetensors;
run  V/bin/python src/test/python/gen_safetensors_half_torch.py
"""
import torch
from safetensors.torch import save_file

from torch_golden import Records, resource

R = Records("gen_safetensors_half_torch.py")
# exact halves, rounding ties, the largest half, overflow to inf, subnormals, underflow to 0, signed zero, inf
SRC32 = torch.tensor([1.0, -2.5, 0.1, 65504.0, 65520.0, 65519.0, 1e5, 6.1e-5, 5.96e-8, 2.9e-8, 3.0e-8, -0.0,
                      float("inf"), float("-inf"), 1.0009765625, 1.00048828125, 1.00146484375, 3.14159265,
                      -1e-3, 1.5e38, 3.4e38, 1.00390625, 1.01171875, 9.183549615799121e-41], dtype=torch.float32)
# float64 values whose double -> float -> half rounding differs from rounding once
SRC64 = torch.tensor([1.0 + 2.0 ** -11 + 2.0 ** -40, 1.0 + 2.0 ** -8 + 2.0 ** -33, 0.1, -123.456, 1e-310,
                      65519.99999999], dtype=torch.float64)


def bits(t):
    return (t.view(torch.int16).to(torch.int64) & 0xFFFF)


def main():
    h16 = torch.tensor([[0.5, -1.25, 65504.0, 6.103515625e-05, 5.960464477539063e-08],
                        [-0.0, float("inf"), 3.140625, -2048.0, 0.0999755859375]], dtype=torch.float16)
    b16 = torch.tensor([1.0, -3.0e38, 1e-38, 3.140625, -0.0, float("-inf"), 0.1], dtype=torch.bfloat16)
    f32 = torch.tensor([1.5, -2.0, 0.25], dtype=torch.float32)
    save_file({"h16": h16, "b16": b16, "f32": f32}, resource("checkpoint", "half_reference.safetensors"),
              metadata={"format": "pt"})
    R.put("h16.values", h16.to(torch.float64))
    R.put("b16.values", b16.to(torch.float64))
    R.put("src32", SRC32)
    R.put("src64", SRC64)
    R.put("src32.f16", bits(SRC32.half()))
    R.put("src32.bf16", bits(SRC32.bfloat16()))
    R.put("src64.f16", bits(SRC64.half()))
    R.put("src64.bf16", bits(SRC64.bfloat16()))
    R.put("nan.f16", bits(torch.tensor([float("nan")]).half()))
    R.put("nan.bf16", bits(torch.tensor([float("nan")]).bfloat16()))
    R.write(resource("checkpoint", "half_torch.txt"))


if __name__ == "__main__":
    main()
