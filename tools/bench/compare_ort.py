#!/usr/bin/python3
"""ordo vs ONNX Runtime on the same checkpoint and inputs, interleaved in one run.

    /usr/bin/python3 tools/bench/compare_ort.py --shapes minilm --cases 1x128 --threads 2
    /usr/bin/python3 tools/bench/compare_ort.py --shapes mpnet-base,nomic-v1.5,jina-v2-base,\
        gte-base,modernbert-base --cases 1x128,8x128 --rounds 3

For every shape (a random-weight checkpoint made by make_synthetic.py, kept in --work and
reused: minilm and bert-base in BERT's layout, or a family in its real layout, exported from
its fixture script's PyTorch port) and every case BxT or BxMIN-MAX (ragged: B lengths uniform
in MIN..MAX, fixed seed; ORT gets them right-padded to the longest with a mask, ordo packed):
  1. check: the same explicit ids (B rows, token types 0/1 where the model has token types)
     go through `ordo encode --npy` and `ort_bench.js check`; max |ordo - ORT| over the real
     positions of last_hidden_state must be <= --tolerance (1e-3);
  2. time: `ordo bench --serve` and `ort_bench.js serve` load the model and warm up once and
     stay loaded; then --rounds rounds each time one block of every engine (--seconds long and
     at least --min-runs calls, after a --pause for the other engine's threads to stop
     spinning), the order flipping every round, same thread count. The two blocks of a round
     are about a second apart, so a slowdown of the shared host that lasts a few seconds hits both
     sides of the round's ratio.
Prints one table (or --json): per engine the median of its block medians (ms, tokens/s),
ordo/ORT = the median over rounds of the within-round ratio of tokens/s (> 1 means ordo is
faster), the range of those ratios (a noise gauge), the ratio of the two medians, and
max |delta|.
ModernBERT (modernbert-base): unless --no-global, each case also checks and times the same
weights with every layer global (the modernbert-base-global checkpoint) in the same rounds, a
row of its own, and a line local vs global: global ms / local ms per engine, the median over
rounds (ordo runs the local layers on a 128-token window; the ONNX graph computes full
attention plus a window mask, so ORT's local costs about what its global does).
Exits 1 if any check fails, 2 on a usage or tool error.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHAPES = ("minilm", "bert-base", "mpnet-base", "nomic-v1.5", "jina-v2-base", "gte-base",
          "modernbert-base", "modernbert-base-global")
GLOBAL_OF = {"modernbert-base": "modernbert-base-global"}  # timed beside it, same weights


def binary_stamp(path: str) -> str:
    """sha256 prefix + mtime: other people rebuild build/ while a comparison runs."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:12]
    return f"{digest} {time.strftime('%H:%M:%S', time.localtime(os.path.getmtime(path)))}"


def parse_case(text: str) -> Tuple[int, int, int]:
    """'8x128' -> (8, 128, 128); '32x8-128' (ragged) -> (32, 8, 128)."""
    try:
        batch_text, seq_text = text.lower().split("x")
        low, _, high = seq_text.partition("-")
        batch, low = int(batch_text), int(low)
        high = int(high) if high else low
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"case '{text}' is not BATCHxSEQ or BATCHxMIN-MAX, e.g. 1x128 or 32x8-128")
    if batch < 1 or low < 1 or high < low:
        raise argparse.ArgumentTypeError(f"case '{text}': need batch >= 1 and 1 <= MIN <= MAX")
    return batch, low, high


def case_lengths(batch: int, low: int, high: int) -> List[int]:
    """The sequence lengths of a case: all equal, or uniform in low..high with a fixed seed."""
    if low == high:
        return [low] * batch
    return [int(n) for n in np.random.default_rng(1234).integers(low, high + 1, size=batch)]


def case_label(batch: int, low: int, high: int) -> str:
    return f"{batch}x{low}" if low == high else f"{batch}x{low}-{high}"


def ensure_model(work: str, shape: str, seed: int) -> str:
    directory = os.path.join(work, shape)
    info_path = os.path.join(directory, "synthetic.json")
    needed = ["config.json", "model.safetensors", "model.onnx", "synthetic.json"]
    if all(os.path.exists(os.path.join(directory, f)) for f in needed):
        with open(info_path) as f:
            info = json.load(f)
        if info.get("shape") == shape and info.get("seed") == seed:
            return directory
    print(f"# making the synthetic {shape} checkpoint in {directory} ...", file=sys.stderr)
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "make_synthetic.py"), directory,
                    "--shape", shape, "--seed", str(seed)], check=True,
                   stdout=sys.stderr)
    return directory


def model_inputs(model: str) -> List[str]:
    """The ONNX model's inputs, as make_synthetic.py recorded them (older BERT ones: all)."""
    with open(os.path.join(model, "synthetic.json")) as f:
        return json.load(f).get("inputs", ["input_ids", "attention_mask", "token_type_ids"])


def check_ids(lengths: List[int], vocab: int) -> Tuple[List[List[int]], List[List[int]]]:
    rng = np.random.default_rng(len(lengths) * 100003 + max(lengths))
    ids = [rng.integers(5, vocab, size=n).tolist() for n in lengths]
    types = [[0 if t < n // 2 else 1 for t in range(n)] for n in lengths]
    return ids, types


def correctness(ordo: str, model: str, lengths: List[int], threads: int, env,
                dtype: str = "f32") -> Tuple[float, float]:
    """max |ordo - ORT| over the real (unpadded) positions of last_hidden_state, and the
    smallest cosine between the two engines' vectors of one token there."""
    with open(os.path.join(model, "config.json")) as f:
        vocab = json.load(f)["vocab_size"]
    ids, types = check_ids(lengths, vocab)
    with_types = "token_type_ids" in model_inputs(model)
    with tempfile.TemporaryDirectory(prefix="ordo-check-") as tmp:
        ordo_npy = os.path.join(tmp, "ordo.npy")
        ort_npy = os.path.join(tmp, "ort.npy")
        ids_json = os.path.join(tmp, "ids.json")
        command = [ordo, "encode", "--model", model, "--npy", ordo_npy, "--threads", str(threads),
                   "--dtype", dtype]
        for row, type_row in zip(ids, types):
            command += ["--ids", ",".join(map(str, row))]
            if with_types:
                command += ["--token-types", ",".join(map(str, type_row))]
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
        with open(ids_json, "w") as f:
            json.dump({"input_ids": ids, "token_type_ids": types} if with_types else
                      {"input_ids": ids}, f)
        subprocess.run(["node", os.path.join(HERE, "ort_bench.js"), "check", "--model",
                        os.path.join(model, "model.onnx"), "--ids", ids_json, "--npy", ort_npy,
                        "--threads", str(threads)], check=True)
        a, b = np.load(ordo_npy), np.load(ort_npy)
    if a.shape != b.shape:
        raise RuntimeError(f"shape mismatch: ordo {a.shape} vs ORT {b.shape}")
    real = np.zeros(a.shape[:2], dtype=bool)
    for row, n in enumerate(lengths):
        real[row, :n] = True
    a, b = a[real], b[real]  # ORT's padded positions hold values nobody reads
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf"), float("-inf")
    a, b = a.astype(np.float64), b.astype(np.float64)
    cosines = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return float(np.max(np.abs(a - b))), float(np.min(cosines))


class Server:
    """One engine kept loaded in `serve` mode: block() times one block of calls."""

    def __init__(self, name: str, command: List[str], env=None):
        self.name = name
        # stderr goes to a file: a pipe nobody reads could fill up and stall the engine.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.stderr, text=True, env=env)
        self.ready = self._read()

    def _read(self) -> Dict[str, object]:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.stderr.seek(0)
            raise RuntimeError(f"{self.name} serve stopped ({self.process.returncode}):\n"
                               f"{self.stderr.read().strip()}")
        return json.loads(line)

    def block(self) -> Dict[str, object]:
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def timing(ordo: str, models: List[str], lengths: List[int], args, env) -> List[Dict[str, object]]:
    """Times ordo and ORT on each model directory in the same rounds: one summary per model
    (its "rounds" hold every engine's blocks, keyed ordo/ort/ordo_global/ort_global)."""
    # Both engines get the same lengths; ORT pads them to the longest (with a mask), as a user
    # would feed a ragged batch to it, and ordo runs them packed. All stay loaded and warm;
    # a round is one block of each, seconds apart, so a slowdown of the host that lasts a few
    # seconds hits both sides of the round's ratio.
    common = ["--lengths", ",".join(map(str, lengths)), "--seconds", str(args.seconds),
              "--min-runs", str(args.min_runs), "--threads", str(args.threads)]
    servers = {}
    try:
        for model, suffix in zip(models, ("", "_global")):
            servers["ordo" + suffix] = Server(
                "ordo", [ordo, "bench", "--model", model, "--serve", "--dtype", args.dtype] +
                common, env)
            servers["ort" + suffix] = Server(
                "ort_bench.js", ["node", os.path.join(HERE, "ort_bench.js"), "serve", "--model",
                                 os.path.join(model, "model.onnx")] + common)
        rounds = []
        for r in range(args.rounds):
            order = list(servers) if r % 2 == 0 else list(reversed(servers))
            this_round = {}
            for engine in order:
                time.sleep(args.pause)  # the other engine's threads stop spinning
                this_round[engine] = servers[engine].block()
            rounds.append(this_round)
            print(f"#   round {r + 1}/{args.rounds}: " + ", ".join(
                f"{engine} {this_round[engine]['median_ms']:.2f} ms" for engine in servers),
                file=sys.stderr)
    finally:
        for server in servers.values():
            server.close()
    return [summary(rounds, {e: s.ready for e, s in servers.items()}, suffix, lengths)
            for suffix in ("", "_global")[:len(models)]]


def summary(rounds: List[Dict[str, Dict[str, object]]], ready: Dict[str, Dict[str, object]],
            suffix: str, lengths: List[int]) -> Dict[str, object]:
    """ordo vs ORT from the blocks of engines ordo<suffix> and ort<suffix>."""
    ordo, ort = "ordo" + suffix, "ort" + suffix
    ordo_ms = statistics.median(r[ordo]["median_ms"] for r in rounds)
    ort_ms = statistics.median(r[ort]["median_ms"] for r in rounds)
    round_ratios = [r[ort]["median_ms"] / r[ordo]["median_ms"] for r in rounds]
    tokens = sum(lengths)
    flops = ready[ordo]["flops"]  # per forward pass, as `ordo bench` counts them
    return {
        "ordo_median_ms": ordo_ms,
        "ort_median_ms": ort_ms,
        "ordo_tokens_per_s": tokens / (ordo_ms / 1000),
        "ort_tokens_per_s": tokens / (ort_ms / 1000),
        "ratio": statistics.median(round_ratios),  # ordo tokens/s / ORT tokens/s, paired
        "ratio_of_medians": ort_ms / ordo_ms,
        "round_ratio_min": min(round_ratios),
        "round_ratio_max": max(round_ratios),
        # The encoder's FLOPs on the real tokens: the same useful work for both engines (ORT
        # also computes the padding of a ragged batch).
        "ordo_gflops": flops / (ordo_ms / 1000) / 1e9,
        "ort_gflops": flops / (ort_ms / 1000) / 1e9,
        "ordo_load_ms": ready[ordo]["load_ms"],
        "ort_load_ms": ready[ort]["load_ms"],
        "ort_version": ready[ort]["ort_version"],
        "rounds": [{"ordo_median_ms": r[ordo]["median_ms"], "ordo_p90_ms": r[ordo]["p90_ms"],
                    "ordo_runs": r[ordo]["runs"], "ort_median_ms": r[ort]["median_ms"],
                    "ort_p90_ms": r[ort]["p90_ms"], "ort_runs": r[ort]["runs"]}
                   for r in rounds],
    }


def local_vs_global(local: Dict[str, object], glob: Dict[str, object]) -> Dict[str, object]:
    """Global ms / local ms per engine, the median (and range) over the shared rounds."""
    out = {}
    for engine in ("ordo", "ort"):
        ratios = [g[f"{engine}_median_ms"] / l[f"{engine}_median_ms"]
                  for l, g in zip(local["rounds"], glob["rounds"])]
        out[engine] = {"local_ms": local[f"{engine}_median_ms"],
                       "global_ms": glob[f"{engine}_median_ms"],
                       "global_over_local": statistics.median(ratios),
                       "min": min(ratios), "max": max(ratios)}
    return out


def print_table(results: List[Dict[str, object]], meta: Dict[str, object]) -> None:
    header = ["case", "ordo ms", "ORT ms", "ordo tok/s", "ORT tok/s", "ordo/ORT",
              "round range", "ratio of medians", "ordo GF/s", "ORT GF/s", "max |Δ|", "min cos"]
    rows = []
    for r in results:
        rows.append([
            f"{r['shape']} {r['case']}",
            f"{r['ordo_median_ms']:.2f}", f"{r['ort_median_ms']:.2f}",
            f"{r['ordo_tokens_per_s']:.0f}", f"{r['ort_tokens_per_s']:.0f}",
            f"{r['ratio']:.2f}", f"{r['round_ratio_min']:.2f}-{r['round_ratio_max']:.2f}",
            f"{r['ratio_of_medians']:.2f}",
            f"{r['ordo_gflops']:.1f}", f"{r['ort_gflops']:.1f}",
            f"{r['max_abs_delta']:.2e}",
            f"{r['min_cosine']:.6f}" + ("" if r["check_ok"] else " FAIL"),
        ])
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print(f"ordo {meta['ordo']} [{meta['ordo_build']}] --dtype {meta['dtype']} vs onnxruntime-node "
          f"{meta['ort_version']} (f32); "
          f"{meta['threads']} threads, {meta['rounds']} rounds x {meta['seconds']} s "
          f"(>= {meta['min_runs']} calls) per engine, "
          f"load average {meta['load_before']:.1f} -> {meta['load_after']:.1f}"
          + (f"; ordo env {' '.join(meta['ordo_env'])}" if meta["ordo_env"] else ""))
    print("  ".join(h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths))))
    for row in rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    for r in results:
        if "local_vs_global" in r:
            print(f"{r['shape']} {r['case']} local vs global attention (same weights, same "
                  "rounds): " + "; ".join(
                      f"{name} {v['local_ms']:.2f} vs {v['global_ms']:.2f} ms, global/local "
                      f"{v['global_over_local']:.2f} ({v['min']:.2f}-{v['max']:.2f})"
                      for name, v in (("ordo", r["local_vs_global"]["ordo"]),
                                      ("ORT", r["local_vs_global"]["ort"]))))
    print("ordo/ORT = ordo tokens/s / ORT tokens/s (> 1: ordo faster), the median over rounds "
          "of the ratio within a round; round range = its min-max; ratio of medians = the same "
          "from the two columns of ms.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shapes", default="minilm",
                        help=f"comma-separated, from {', '.join(SHAPES)} (default minilm)")
    parser.add_argument("--cases", default="1x128",
                        help="comma-separated BATCHxSEQ, or BATCHxMIN-MAX for a ragged batch "
                             "with lengths uniform in MIN..MAX (default 1x128)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=0.5, help="per engine per round")
    parser.add_argument("--min-runs", type=int, default=3,
                        help="at least this many timed calls per engine per round")
    parser.add_argument("--pause", type=float, default=0.05,
                        help="seconds of rest before each block, so that the other engine's "
                             "threads have stopped spinning")
    parser.add_argument("--work", default="/tmp/ordo-bench", help="synthetic models live here")
    parser.add_argument("--seed", type=int, default=1, help="weight seed of the checkpoints")
    parser.add_argument("--ordo", default=os.path.join(REPO, "build", "tools", "ordo"))
    parser.add_argument("--tolerance", type=float, default=1e-3,
                        help="f32: the largest max |ordo - ORT| that passes the check")
    parser.add_argument("--dtype", choices=("f32", "bf16", "int8"), default="f32",
                        help="ordo's number type for the projections (ORT runs f32); bf16 and "
                             "int8 pass the check on the smallest per-token cosine to ORT "
                             "instead of max |delta|")
    parser.add_argument("--min-cosine", type=float, default=None,
                        help="bf16/int8: the smallest per-token cosine that passes (default "
                             "0.999 for bf16, 0.99 for int8, the floors of the issue that "
                             "added them)")
    parser.add_argument("--ordo-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for ordo only, e.g. OMP_WAIT_POLICY=passive "
                             "(repeatable; default: the caller's environment + OMP_NUM_THREADS)")
    parser.add_argument("--no-global", action="store_true",
                        help="modernbert-base: do not time the all-global variant beside it")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    shapes = [s for s in args.shapes.split(",") if s]
    for shape in shapes:
        if shape not in SHAPES:
            parser.error(f"unknown shape '{shape}' (known: {', '.join(SHAPES)})")
    try:
        cases = [parse_case(c) for c in args.cases.split(",") if c]
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    if args.rounds < 1 or args.threads < 1 or args.min_runs < 1:
        parser.error("--rounds, --threads and --min-runs must be >= 1")
    if args.seconds < 0 or args.pause < 0:
        parser.error("--seconds and --pause must be >= 0")
    if not os.access(args.ordo, os.X_OK):
        parser.error(f"no ordo binary at {args.ordo} (build it, or pass --ordo)")

    min_cosine = args.min_cosine if args.min_cosine is not None else (
        0.999 if args.dtype == "bf16" else 0.99)
    ordo_stamp = binary_stamp(args.ordo)
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    for item in args.ordo_env:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--ordo-env '{item}' is not KEY=VALUE")
        env[key] = value
    load_before = os.getloadavg()[0]
    results = []
    try:
        for shape in shapes:
            names = [shape] + ([GLOBAL_OF[shape]] if shape in GLOBAL_OF and not args.no_global
                               else [])
            models = [ensure_model(args.work, name, args.seed) for name in names]
            for batch, low, high in cases:
                label = case_label(batch, low, high)
                lengths = case_lengths(batch, low, high)
                rows = []
                for name, model in zip(names, models):
                    print(f"# {name} {label}: check", file=sys.stderr)
                    delta, cosine = correctness(args.ordo, model, lengths, args.threads, env,
                                                args.dtype)
                    print(f"#   max |ordo - ORT| = {delta:.3g}, min cosine {cosine:.6f}",
                          file=sys.stderr)
                    passed = (delta <= args.tolerance if args.dtype == "f32" else
                              cosine >= min_cosine)
                    rows.append({"shape": name, "case": label, "batch": batch, "seq": high,
                                 "tokens": sum(lengths), "max_abs_delta": delta,
                                 "min_cosine": cosine, "check_ok": bool(passed)})
                print(f"# {' + '.join(names)} {label}: time", file=sys.stderr)
                for row, timed in zip(rows, timing(args.ordo, models, lengths, args, env)):
                    row.update(timed)
                if len(rows) == 2:
                    rows[0]["local_vs_global"] = local_vs_global(rows[0], rows[1])
                results += rows
    except (RuntimeError, OSError, ValueError, subprocess.CalledProcessError) as error:
        print(f"compare_ort.py: {error}", file=sys.stderr)
        return 2

    if binary_stamp(args.ordo) != ordo_stamp:
        print(f"compare_ort.py: warning: {args.ordo} was rebuilt during the run; the ordo "
              "numbers may mix two builds", file=sys.stderr)
        ordo_stamp += " (CHANGED during the run)"
    meta = {"ordo": args.ordo, "ordo_build": ordo_stamp,
            "ort_version": results[0]["ort_version"] if results else "?",
            "threads": args.threads, "rounds": args.rounds, "seconds": args.seconds,
            "pause": args.pause,
            "min_runs": args.min_runs, "tolerance": args.tolerance, "ordo_env": args.ordo_env,
            "dtype": args.dtype, "min_cosine": min_cosine,
            "load_before": load_before, "load_after": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
    else:
        print_table(results, meta)
    return 0 if all(r["check_ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
