#!/usr/bin/python3
"""How far bf16 and int8 sentence vectors are from f32, as a distribution over many texts.

Runs `ordo encode --output pooled --npy` once per compute type on the same lines and reports,
per model and type, the cosine similarity of each line's vector to its f32 vector: minimum,
0.1st and 1st percentiles, median, and the share of lines below 0.999 and 0.9999. The speed
side is `ordo bench --dtype`; this is the accuracy side, on trained weights and real text.

Usage (from the repository root, after building):
  tools/bench/dtype_accuracy.py [--ordo build/tools/ordo] [--input models/heldout.txt]
                                [--lines 2000] [--types bf16,int8] MODEL_DIR...
A type the CPU cannot run (bf16 without AVX512-BF16/AMX) is reported as such, not skipped.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def encode(ordo, model, dtype, input_path, out_path, threads):
    command = [ordo, "encode", "--model", model, "--input", input_path, "--output", "pooled",
               "--npy", out_path, "--dtype", dtype, "--threads", str(threads)]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        return run.stderr.strip()
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--ordo", default="build/tools/ordo")
    ap.add_argument("--input", default="models/heldout.txt")
    ap.add_argument("--lines", type=int, default=2000, help="first N non-empty lines")
    ap.add_argument("--types", default="bf16,int8")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    with open(args.input, encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f if line.strip()][: args.lines]
    print(f"{len(lines)} lines of {args.input}; cosine of each line's mean-pooled vector to f32")
    print("\n| model | type | lines | min | 0.1% | 1% | median | < 0.999 | < 0.9999 |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        text = os.path.join(work, "lines.txt")
        with open(text, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        for model in args.models:
            name = os.path.basename(os.path.normpath(model))
            reference = os.path.join(work, "f32.npy")
            error = encode(args.ordo, model, "f32", text, reference, args.threads)
            if error:
                sys.exit(f"{name}: f32 failed: {error}")
            base = np.load(reference).astype(np.float64)
            for dtype in args.types.split(","):
                out = os.path.join(work, f"{dtype}.npy")
                error = encode(args.ordo, model, dtype, text, out, args.threads)
                if error:
                    print(f"| {name} | {dtype} | — | not run here: {error} |" + " |" * 5)
                    continue
                other = np.load(out).astype(np.float64)
                cos = np.sum(base * other, axis=1) / (
                    np.linalg.norm(base, axis=1) * np.linalg.norm(other, axis=1))
                q = np.quantile(cos, [0.001, 0.01, 0.5])
                print(f"| {name} | {dtype} | {len(cos)} | {cos.min():.6f} | {q[0]:.6f} | "
                      f"{q[1]:.6f} | {q[2]:.7f} | {np.mean(cos < 0.999):.2%} | "
                      f"{np.mean(cos < 0.9999):.2%} |")


if __name__ == "__main__":
    main()
