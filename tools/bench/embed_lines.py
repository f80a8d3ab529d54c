#!/usr/bin/python3
"""ordo.Model.encode on every line of a file, timed: the Python side of the comparison with
Model::embed (embed_lines.cpp) and `ordo encode --input FILE --output pooled` (library_vs_cli.sh).

    PYTHONPATH=build/python tools/bench/embed_lines.py FILE [MODEL_DIR [OUT.npy]]
"""
import sys
import time

import numpy as np

import ordo


def main():
    if not 2 <= len(sys.argv) <= 4:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8", newline="\n") as file:
        # As the CLI's --input: one text per line, a trailing CR dropped.
        lines = [line.rstrip("\n").removesuffix("\r") for line in file]
    start = time.perf_counter()
    model = ordo.Model(sys.argv[2] if len(sys.argv) > 2 else "models/ordo-sinusoidal")
    vectors = model.encode(lines)
    seconds = time.perf_counter() - start
    print(f"{vectors.shape[0]} x {vectors.shape[1]} in {seconds:.3f} s (load + embed)")
    if len(sys.argv) > 3:
        np.save(sys.argv[3], vectors)


if __name__ == "__main__":
    main()
