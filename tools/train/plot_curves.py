#!/usr/bin/python3
"""Draws the twins' held-out accuracy curves as one SVG: the model card's training curves.

    plot_curves.py --out models/figures/heldout-curves.svg models/ordo-*

Reads each directory's heldout_log.tsv (step, held-out top-1, masked pieces scored; written by
train_mlm.py every 250 steps) and run.json (the short-sequence phase, drawn as a dashed line).
Every run must have scored the same held-out pieces, or the curves would not be comparable: a
mismatch, a missing file or a malformed line stops the script naming the file. Standard library
only; the SVG uses the fonts of ordo's own pictures, and tests/browser/check_pictures.py checks
the card's figures in Chromium (no label outside the drawing, none overlapping).
"""
import argparse
import json
import math
import os
import sys
from xml.sax.saxutils import escape

# Colours as ordo's CLI pictures use them (tools/ordo/svg.cpp kCurveColours).
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf"]
FONT = "'Noto Sans CJK SC','WenQuanYi Micro Hei','DejaVu Sans',sans-serif"


def fail(message):
    sys.exit(f"plot_curves.py: {message}")


def read_curve(model_dir):
    """(name, [(step, top1)], scored, short-phase steps or None) of one twin directory."""
    path = os.path.join(model_dir, "heldout_log.tsv")
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as error:
        fail(f"{path}: {error.strerror}")
    if not lines or lines[0].split("\t")[:2] != ["step", "heldout_top1"]:
        fail(f"{path}: the first line must be the header 'step<TAB>heldout_top1<TAB>scored'")
    points, scored = [], set()
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        try:
            step, top1, n = int(fields[0]), float(fields[1]), int(fields[2])
        except (IndexError, ValueError):
            fail(f"{path} line {number}: expected 'step<TAB>top1<TAB>scored', got {line!r}")
        if not 0.0 <= top1 <= 1.0 or (points and step <= points[-1][0]):
            fail(f"{path} line {number}: top-1 outside [0, 1] or step not increasing: {line!r}")
        points.append((step, top1))
        scored.add(n)
    if not points:
        fail(f"{path}: no measurements")
    if len(scored) > 1:
        fail(f"{path}: the scored piece count changes ({sorted(scored)}): not one held-out set")
    short_steps = None
    run_path = os.path.join(model_dir, "run.json")
    if os.path.exists(run_path):
        with open(run_path, encoding="utf-8") as f:
            short_steps = json.load(f).get("short_phase", {}).get("steps") or None
    name = os.path.basename(os.path.normpath(model_dir))
    return name, points, scored.pop(), short_steps


def nice_step(span, ticks):
    """A round tick spacing (1, 2 or 5 times a power of ten) giving about `ticks` ticks."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def render(curves, title, caption):
    left, top, width, height = 70, 78, 560, 300
    max_step = max(points[-1][0] for _, points, _, _ in curves)
    high = max(top1 for _, points, _, _ in curves for _, top1 in points)
    y_tick = nice_step(high, 6)
    y_max = y_tick * math.ceil(high / y_tick)
    x_tick = nice_step(max_step, 8)
    px = lambda step: left + width * step / max_step  # noqa: E731
    py = lambda top1: top + height * (1 - top1 / y_max)  # noqa: E731
    # Legend: the final accuracy, best first, so that it reads as the ranking.
    order = sorted(range(len(curves)), key=lambda i: -curves[i][1][-1][1])
    labels = {i: f"{curves[i][0]}  {100 * curves[i][1][-1][1]:.1f}%" for i in order}
    legend_width = max(7.2 * len(label) for label in labels.values())
    total_width = left + width + 40 + 26 + legend_width + 20
    total_height = top + height + 60
    out = [f'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
           f'width="{total_width:.0f}" height="{total_height}" '
           f'viewBox="0 0 {total_width:.0f} {total_height}" font-family="{FONT}">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="20" y="28" font-size="18" font-weight="bold">{escape(title)}</text>',
           f'<text x="20" y="50" font-size="13" fill="#444">{escape(caption)}</text>']
    text = lambda x, y, s, extra="": out.append(  # noqa: E731
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="11"{extra}>{escape(s)}</text>')
    line = lambda x1, y1, x2, y2, colour="#444", extra="": out.append(  # noqa: E731
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colour}"{extra}/>')
    line(left, top + height, left + width, top + height)
    line(left, top, left, top + height)
    for k in range(round(y_max / y_tick) + 1):
        y = py(k * y_tick)
        line(left - 4, y, left, y)
        if k:
            line(left, y, left + width, y, "#ddd")
        text(left - 8, y + 4, f"{100 * k * y_tick:.0f}%", ' text-anchor="end"')
    for k in range(int(max_step // x_tick) + 1):
        x = px(k * x_tick)
        line(x, top + height, x, top + height + 4)
        text(x, top + height + 18, f"{k * x_tick:,}", ' text-anchor="middle"')
    text(left + width / 2, top + height + 40, "training step", ' text-anchor="middle"')
    for short_steps in sorted({c[3] for c in curves if c[3]}):
        x = px(short_steps)
        line(x, top, x, top + height, "#888", ' stroke-dasharray="4 3"')
        text(x + 4, top + 14, "32 → 128 pieces", ' fill="#666"')
    for rank, i in enumerate(order):
        name, points, _, _ = curves[i]
        colour = COLOURS[i % len(COLOURS)]
        coords = " ".join(f"{px(s):.1f},{py(a):.1f}" for s, a in points)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
                   f'<title>{escape(name)}</title></polyline>')
        legend_y = top + 10 + 20 * rank
        line(left + width + 40, legend_y - 4, left + width + 60, legend_y - 4, colour,
             ' stroke-width="2"')
        out.append(f'<text x="{left + width + 66}" y="{legend_y:.1f}" font-size="12">'
                   f'{escape(labels[i])}</text>')
    out.append("</svg>\n")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+", help="twin directories (heldout_log.tsv, run.json)")
    ap.add_argument("--out", required=True, help="the SVG to write")
    ap.add_argument("--title", default="Held-out masked-LM top-1 during training")
    args = ap.parse_args()
    curves = [read_curve(d) for d in args.dirs]
    scored = {c[2] for c in curves}
    if len(scored) > 1:
        fail("the runs scored different held-out sets ("
             + ", ".join(f"{c[0]}: {c[2]}" for c in curves) + " masked pieces)")
    caption = (f"every {curves[0][1][0][0]} steps on the held-out text, {scored.pop():,} masked "
               "pieces (fixed masks); legend: final accuracy")
    svg = render(curves, args.title, caption)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(svg)
    print(f"wrote {args.out}: {len(curves)} curves")


if __name__ == "__main__":
    main()
