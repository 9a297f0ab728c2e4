#!/usr/bin/env python3
"""Writes a reference safetensors file by hand (struct + json; the safetensors package is not installed), laid out
as safetensors.torch.save_file does: 8-byte little-endian header length, compact JSON header with "__metadata__"
first, tensors ordered by dtype alignment (widest first) then name, header padded with spaces to 8 bytes.

Writes src/test/resources/dev/kiln/checkpoint/reference.safetensors; SafetensorsTest checks the values below.
Run from tensor-core/:  python3 src/test/python/gen_safetensors_reference.py
"""
import json
import os
import struct
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "dev", "kiln", "checkpoint",
                   "reference.safetensors")

TENSORS = {
    "weight": ("F32", np.arange(6, dtype=np.float32).reshape(2, 3) * np.float32(0.5) - np.float32(1)),
    "bias": ("F64", np.array([0.1, -2.5, 1e-300])),
    "ids": ("I64", np.array([[-1, 2 ** 40], [3, 4]], dtype=np.int64)),
    "counts": ("I32", np.array([-7, 0, 2 ** 31 - 1], dtype=np.int32)),
    "mask": ("BOOL", np.array([True, False, False, True])),
    "pixels": ("U8", np.array([0, 255], dtype=np.uint8)),
    "scalar": ("F32", np.array(3.25, dtype=np.float32)),
    "empty": ("F32", np.zeros((0, 4), dtype=np.float32)),
}
METADATA = {"format": "pt", "note": "hand-written \"reference\""}


def main():
    order = sorted(TENSORS, key=lambda k: (-TENSORS[k][1].dtype.itemsize, k))
    header, blobs, offset = {"__metadata__": METADATA}, [], 0
    for name in order:
        dtype, arr = TENSORS[name]
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    print(f"wrote {os.path.normpath(OUT)}: header {len(text)} bytes, data {offset} bytes")


if __name__ == "__main__":
    main()
