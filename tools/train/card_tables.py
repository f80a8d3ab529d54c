#!/usr/bin/python3
"""Writes the number tables of the twins' model card (models/README.md) from the data that
produced them, so that no figure in a table is copied by hand:

  curves       each twin's heldout_log.tsv (held-out top-1 during training)
  buckets      each twin's eval.json (tools/train/evaluate.py: top-1 by position bucket at
               1x-8x the training length)
  targets      each twin's eval.json: top-1 on CJK-piece targets and on the others, at 128
  order        ordo compare-pe --json: order sensitivity, with --pe none as the control
  heads        ordo heads --json, one file per twin: positional, mixed and content heads
  decompose    ordo pe --decompose --json (the twins whose encoding is added to the input)
  distance     ordo compare-pe --json: cosine between the position vectors d apart, and
               ordo-learned/position_table.json: between what training added to rows d apart
  learned      ordo-learned/position_table.json (tools/train/learned_table.py): how far the
               learned table moved from its random start and how near it is to the sinusoid

A table sits in the card between `<!-- table NAME -->` and `<!-- /table -->`; the prose
around it is written by hand and is not touched. The JSON reports are computed here with
--ordo (tools/train/draw_figures.sh adds --figures, to draw the card's figures from the same
runs; the test ModelCardTables adds --check), or read from a directory with --data.

Usage (from the repository root):
  tools/train/card_tables.py --ordo build/tools/ordo             # rewrite the tables
  tools/train/card_tables.py --ordo build/tools/ordo --check     # exit 1 if any differs
"""
import argparse
import difflib
import functools
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

TWINS = ["sinusoidal", "learned", "rotary", "alibi", "relative-bias", "none"]
BUCKETS = ["0-31", "32-63", "64-127", "128-255", "256-511", "512-1023"]
LONGER = [256, 512, 1024]


def pct(x):
    return f"{100 * x:.1f}%"


def steps(n):
    return f"{n:,}"


def row(cells):
    return "| " + " | ".join(cells) + " |"


def table(header, rows):
    return "\n".join([row(header), row(["---"] * len(header))] + [row(r) for r in rows])


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        sys.exit(f"card_tables.py: {path} is missing (run tools/train/draw_figures.sh first)")


def heldout_curve(model_dir):
    curve = {}
    with open(model_dir / "heldout_log.tsv", encoding="utf-8") as f:
        next(f)
        for line in f:
            step, top1, _ = line.split("\t")
            curve[int(step)] = float(top1)
    return curve


def curves_table(models):
    run = load_json(models / "ordo-learned" / "run.json")
    total, short = run["steps"], run["short_phase"]["steps"]
    curves = {t: heldout_curve(models / f"ordo-{t}") for t in TWINS}
    evals = sorted(curves["learned"])
    last_short = max(s for s in evals if s <= short)
    first_long = min(s for s in evals if s > short)
    columns = sorted({total * k // 8 for k in range(1, 9)} | {last_short, first_long, total - 1000})
    header = ["step"] + [steps(s) + (" (32)" if s == last_short else " (128)" if s == first_long
                                     else "") for s in columns]
    header += ["last 1,000 steps", "last 250"]
    rows = []
    for t in TWINS:
        c = curves[t]
        if max(c) != total:
            sys.exit(f"card_tables.py: ordo-{t}/heldout_log.tsv ends at step {max(c)}, not {total}")
        cells = [pct(c[s]) if s in c else "—" for s in columns]
        cells[-1] = f"**{cells[-1]}**"
        gain = [100 * (c[total] - c[total - back]) for back in (1000, 250)]
        rows.append([f"ordo-{t}"] + cells + [f"{g:+.1f}".replace("-", "−") for g in gain])
    return table(header, rows)


def bucket_cells(result, length):
    cells = [pct(result["overall"]["accuracy"])]
    for b in BUCKETS:
        lo = int(b.split("-")[0])
        cells.append(pct(result[b]["accuracy"]) if lo < length and b in result else "")
    return cells


@functools.lru_cache(maxsize=None)  # the buckets and targets tables read the same files
def twin_evals(models):
    return {t: load_json(models / f"ordo-{t}" / "eval.json") for t in TWINS}


def buckets_table(models):
    evals = twin_evals(models)
    header = ["model", "L", "overall"] + [b.replace("-", "–") for b in BUCKETS]
    rows = []
    for t in TWINS:
        cells = bucket_cells(evals[t]["L128"]["model"], 128)
        if t != "none":
            cells[0] = f"**{cells[0]}**"
        rows.append([f"ordo-{t}", "128"] + cells)
    base = evals["sinusoidal"]
    rows.append([f"always `{base['baseline_piece']['piece']}` (most frequent piece)", "128"]
                + bucket_cells(base["L128"]["baseline"], 128))
    for t in TWINS:
        results = [evals[t].get(f"L{n}") for n in LONGER]
        if any(r is None for r in results):
            continue
        if all("note" in r for r in results):
            rows.append([f"ordo-{t}", "256–1024", f"n/a: {results[0]['note']}"] + [""] * 6)
        elif t == "none":
            rows.append([f"ordo-{t}", " / ".join(map(str, LONGER)),
                         " / ".join(pct(r["model"]["overall"]["accuracy"]) for r in results)]
                        + [""] * 6)
        else:
            rows += [[f"ordo-{t}", str(n)] + bucket_cells(r["model"], n)
                     for n, r in zip(LONGER, results)]
    return table(header, rows)


def targets_table(models):
    evals = twin_evals(models)
    kinds = {"cjk_piece_targets": "CJK-piece targets", "other_targets": "other targets"}
    base = evals["sinusoidal"]
    header = ["model (L = 128)"] + [f"{name} ({base['L128']['model'][k]['scored']:,} masked)"
                                    for k, name in kinds.items()]
    rows = [[f"ordo-{t}"] + [pct(evals[t]["L128"]["model"][k]["accuracy"]) for k in kinds]
            for t in TWINS]
    rows.append([f"always `{base['baseline_piece']['piece']}`"]
                + [pct(base["L128"]["baseline"][k]["accuracy"]) for k in kinds])
    return table(header, rows)


def exact(x, fmt):
    return "0 (exactly)" if x == 0 else format(x, fmt)


@functools.lru_cache(maxsize=None)  # the order and distance tables read the same report
def compare_pe_models(data):
    document = load_json(data / "compare-pe.json")
    return {Path(m["directory"]).name: m for m in document["models"]}


def order_table(data):
    by_name = compare_pe_models(data)
    rows = []
    for t in TWINS:
        m = by_name[f"ordo-{t}"]
        moved, control = m["order_sensitivity"], m["order_sensitivity_without_pe"]
        rows.append([f"ordo-{t}", exact(moved["mean_one_minus_cosine"], ".4f"),
                     exact(moved["mean_l2"], ".3f"), exact(control["mean_l2"], ".3f")])
    return table(["model", "1 − cosine", "L2", "same weights, `--pe none`"], rows)


SHARE_NAMES = {"previous": "previous", "self": "own token", "next": "next token",
               "first": "first token", "last": "last token"}


def heads_table(data):
    rows = []
    for t in TWINS:
        heads = load_json(data / f"heads-{t}.json")["heads"]
        labels = [h["label"] for h in heads]
        positional = [h for h in heads if h["label"].startswith("positional")]
        special = labels.count("[CLS]/[SEP]")
        content = str(labels.count("content")) + (f" (+{special} on [CLS]/[SEP])" if special else "")

        def share(h):
            key = h["label"][len("positional ("):-1]
            return key, h[key]

        sharpest = sorted(positional, key=lambda h: -share(h)[1])[:2]
        named = "; ".join(f"block {h['layer']} head {h['head']}: "
                          f"{SHARE_NAMES.get(share(h)[0], share(h)[0])} {share(h)[1]:.2f}"
                          for h in sharpest)
        rows.append([f"ordo-{t}", str(len(positional)), str(labels.count("mixed")), content,
                     named or "—"])
    return table(["", "positional heads", "mixed", "content heads", "sharpest positional heads"],
                 rows)


def decompose_table(data):
    rows = []
    for t in ("sinusoidal", "learned"):
        d = load_json(data / f"decompose-{t}.json")
        overall = next(r for r in d["recovery"] if r["bucket"] == "all")
        rows.append([f"ordo-{t}", pct(overall["token_recovered"]),
                     pct(overall["position_recovered"]),
                     f"{d['position_rank_90']} of {d['hidden']} dimensions",
                     f"{100 * d['position_energy_in_word_subspace']:.0f}% of the position energy"])
    return table(["", "token recovered", "position recovered", "position energy in 90% of",
                  "overlap with the word subspace"], rows)


def distance_table(models, data):
    by_name = compare_pe_models(data)
    distances = [1, 2, 4, 8, 16, 32, 64]

    def cells(values):
        return [f"{v:.3f}".replace("-", "−") for v in values]

    rows = [[f"ordo-{t}"] + cells(by_name[f"ordo-{t}"]["position_similarity_by_distance"][d]
                                  for d in distances) for t in ("sinusoidal", "learned")]
    table_report = load_json(models / "ordo-learned" / "position_table.json")
    rows.append(["ordo-learned, what training added to its rows"]
                + cells(table_report["change_correlation"][str(d)] for d in distances))
    return table(["d"] + [str(d) for d in distances], rows)


def learned_table(models):
    r = load_json(models / "ordo-learned" / "position_table.json")
    start, sinusoid = r["row_cosine_with_initial"], r["row_cosine_with_sinusoid"]
    return table(["ordo-learned", "row cosine with its start", "row cosine with the sinusoid",
                  "RMS at the start → now", "RMS of the change"],
                 [[f"after {r['steps']:,} steps", f"{start['mean']:.3f} (lowest {start['min']:.3f})",
                   f"{sinusoid['mean']:.3f} (from {sinusoid['min']:.3f} to {sinusoid['max']:.3f})"
                   .replace("-", "−"),
                   f"{r['initial_rms']:.3f} → {r['rms']:.3f}", f"{r['change_rms']:.3f}"]])


NUMBER = re.compile(r"[−+-]?\d[\d,]*(?:\.(\d+))?")


def same_table(card, fresh):
    """Equal text, except that a decimal may differ by one unit of its last printed digit: the
    engine's sums round differently on another CPU's kernels, and a figure that sits on a
    rounding boundary may print either way. Whole numbers (counts, steps) must be equal."""
    if card == fresh:
        return True
    if NUMBER.sub("#", card) != NUMBER.sub("#", fresh):
        return False
    for a, b in zip(NUMBER.finditer(card), NUMBER.finditer(fresh)):
        digits = max(len(a.group(1) or ""), len(b.group(1) or ""))
        if digits == 0:  # counts, steps, dimensions: exact
            if a.group(0) != b.group(0):
                return False
            continue
        value = [float(m.group(0).replace("−", "-").replace(",", "")) for m in (a, b)]
        if abs(value[0] - value[1]) > 1.01 * 10.0 ** -digits:
            return False
    return True


def run_reports(ordo, models, data, figures=None):
    """The JSON reports the tables come from; with `figures`, each command draws the card's
    figure there too (tools/train/draw_figures.sh)."""
    if figures:
        figures.mkdir(parents=True, exist_ok=True)
    def run(args, out, svg):
        if figures:
            print(f"== {' '.join(args[:2])} -> {figures / svg}", flush=True)
            args = args + ["--svg", str(figures / svg)]
        with open(data / out, "w", encoding="utf-8") as f:
            subprocess.run([str(ordo)] + args + ["--json"], stdout=f, check=True)
    control_first = ["none"] + [t for t in TWINS if t != "none"]  # the figure's order
    run(["compare-pe"] + [str(models / f"ordo-{t}") for t in control_first], "compare-pe.json",
        "compare-pe.svg")
    for t in TWINS:
        run(["heads", "--model", str(models / f"ordo-{t}")], f"heads-{t}.json", f"heads-{t}.svg")
    for t in ("sinusoidal", "learned"):
        run(["pe", "--decompose", "--model", str(models / f"ordo-{t}")], f"decompose-{t}.json",
            f"decompose-{t}.svg")


def main():
    root = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path,
                        help="a directory with the JSON reports (as --ordo computes them)")
    source.add_argument("--ordo", type=Path,
                        help="an ordo executable: compute the reports now, in a temporary directory")
    ap.add_argument("--models", type=Path, default=root / "models")
    ap.add_argument("--card", type=Path, default=None, help="default: MODELS/README.md")
    ap.add_argument("--figures", type=Path,
                    help="with --ordo: also draw the card's figures into this directory")
    ap.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 if a table in the card differs")
    args = ap.parse_args()
    card_path = args.card or args.models / "README.md"
    if args.ordo:
        with tempfile.TemporaryDirectory(prefix="ordo-card-") as data:
            run_reports(args.ordo, args.models, Path(data), args.figures)
            return rewrite(card_path, args.models, Path(data), args.check)
    return rewrite(card_path, args.models, args.data, args.check)


def rewrite(card_path, models, data, check):
    tables = {"curves": lambda: curves_table(models), "buckets": lambda: buckets_table(models),
              "targets": lambda: targets_table(models),
              "order": lambda: order_table(data), "heads": lambda: heads_table(data),
              "decompose": lambda: decompose_table(data),
              "distance": lambda: distance_table(models, data), "learned": lambda: learned_table(models)}
    card = card_path.read_text(encoding="utf-8")
    stale = []

    def replace(match):
        name = match.group(1)
        if name not in tables:
            sys.exit(f"card_tables.py: {card_path}: unknown table '{name}' "
                     f"(known: {', '.join(tables)})")
        fresh = tables[name]()
        if not same_table(match.group(2).strip(), fresh) or (
                not check and match.group(2).strip() != fresh):
            stale.append((name, match.group(2).strip(), fresh))
        return f"<!-- table {name} -->\n{fresh}\n<!-- /table -->"

    updated = re.sub(r"<!-- table (\S+) -->\n(.*?)<!-- /table -->", replace, card, flags=re.S)
    missing = [n for n in tables if f"<!-- table {n} -->" not in card]
    if missing:
        sys.exit(f"card_tables.py: {card_path} has no marker for: {', '.join(missing)}")
    if check:
        for name, old, fresh in stale:
            print(f"{card_path}: table '{name}' differs from the data (- card, + data):")
            print("\n".join(difflib.unified_diff(old.split("\n"), fresh.split("\n"), lineterm="",
                                                 n=0)))
        if stale:
            return 1
        print(f"{card_path}: all {len(tables)} tables match the data")
        return 0
    card_path.write_text(updated, encoding="utf-8")
    names = ", ".join(name for name, _, _ in stale)
    print(f"{card_path}: rewrote {names or 'nothing (all tables were current)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
