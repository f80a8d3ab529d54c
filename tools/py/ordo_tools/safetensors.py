"""The safetensors format, without the `safetensors` package.

A file is: the header's length (8 bytes, little-endian), the header (compact JSON: an optional
"__metadata__" of strings, then per tensor {"dtype", "shape", "data_offsets"}, padded with
spaces so that the data section starts 8-byte aligned), the tensors' bytes back to back.

write_safetensors writes arrays under sorted names; encode builds a file in memory from raw
bytes in a given order (fuzz/make_seeds.py's seeds, some deliberately unaligned). Both use
the standard library only, so fuzz/make_seeds.py runs without numpy; read_safetensors imports
numpy when called.
"""

import json
from typing import Dict, Iterable, Mapping, Optional, Sequence, Tuple

# dtype tag -> little-endian numpy storage dtype; BF16 is carried as raw uint16 bits
STORAGE = {"F32": "<f4", "F16": "<f2", "BF16": "<u2", "I64": "<i8"}
ITEM_SIZE = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}


def header(entries: Iterable[Tuple[str, str, Sequence[int], int]],
           metadata: Optional[Dict[str, str]] = None, align: int = 8) -> bytes:
    """Length prefix and JSON header for tensors (name, dtype tag, shape, byte count) stored
    back to back in this order; padded so the data section starts at a multiple of `align`."""
    fields: Dict[str, object] = {}
    if metadata is not None:
        fields["__metadata__"] = metadata
    offset = 0
    for name, tag, shape, size in entries:
        fields[name] = {"dtype": tag, "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(fields, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % align)
    return len(text).to_bytes(8, "little") + text


def encode(entries: Iterable[Tuple[str, str, Sequence[int], bytes]],
           metadata: Optional[Dict[str, str]] = None, align: int = 8) -> bytes:
    """A whole file from (name, dtype tag, shape, raw little-endian bytes), in file order."""
    entries = list(entries)
    return (header([(name, tag, shape, len(data)) for name, tag, shape, data in entries],
                   metadata, align) + b"".join(data for _, _, _, data in entries))


def write_safetensors(path: str, tensors: Mapping[str, Tuple[str, object]],
                      metadata: Optional[Dict[str, str]] = None) -> None:
    """tensors: name -> (dtype tag, numpy array); each array is converted to its tag's
    storage dtype (BF16: pass the uint16 bits). Names are stored sorted."""
    names = sorted(tensors)
    arrays = {name: tensors[name][1].astype(STORAGE[tensors[name][0]], copy=False)
              for name in names}
    with open(path, "wb") as f:
        f.write(header([(name, tensors[name][0], arrays[name].shape, arrays[name].nbytes)
                        for name in names], metadata))
        for name in names:
            f.write(arrays[name].tobytes())  # C order, whatever the array's layout


def read_safetensors(path: str):
    """Reads a file and checks its structure: 8-byte alignment, space padding, offsets tiling
    the data section exactly. Returns (name -> numpy array with F16/BF16 widened to f32,
    name -> dtype tag)."""
    import numpy as np

    blob = open(path, "rb").read()
    n = int.from_bytes(blob[:8], "little")
    assert (8 + n) % 8 == 0, f"{path}: data section not 8-byte aligned"
    raw_header = blob[8:8 + n]
    assert raw_header.rstrip(b" ").endswith(b"}"), f"{path}: header padding is not spaces"
    fields = json.loads(raw_header)
    assert len(blob) >= 8 + n and n > 0
    data = blob[8 + n:]
    spans = []
    out, tags = {}, {}
    for name, info in fields.items():
        if name == "__metadata__":
            assert all(isinstance(v, str) for v in info.values())
            continue
        tag = info["dtype"]
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == count * ITEM_SIZE[tag], f"{path}:{name}: size mismatch"
        spans.append((begin, end, name))
        array = np.frombuffer(data[begin:end], dtype=STORAGE[tag]).reshape(info["shape"]).copy()
        if tag == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        elif tag == "F16":
            array = array.astype(np.float32)
        out[name] = array
        tags[name] = tag
    spans.sort()
    cursor = 0
    for begin, end, name in spans:
        assert begin == cursor, f"{path}:{name}: gap or overlap at {cursor}"
        cursor = end
    assert cursor == len(data), f"{path}: data section has {len(data) - cursor} stray bytes"
    return out, tags
