#!/usr/bin/env python3
"""Opens every picture the ordo CLI draws in headless Chromium and checks that a person can
read it: every label lies inside its drawing and no two labels overlap, measured with the
glyph metrics of the fonts Chromium really uses (tests/browser/measure_labels.js). Also
checks that the font the drawings name for Chinese is installed, and that an HTML report
fits the window it is opened in. Large heatmaps are embedded PNG images: each is decoded here
with Python's own zlib (chunk CRCs, the zlib stream's Adler-32, the pixel rows) and must fill
its place with square cells. The SVG drawings are measured together, on one page in one
Chromium run (a launch costs seconds; each drawing is measured in its own coordinates), an
HTML report on a page of its own. Every picture stays in --out; a picture that fails gets a
screenshot beside it, for a person to see the problem. The model card's own figures
(MODELS/figures/*.svg, drawn by tools/train/draw_figures.sh and tools/train/plot_curves.py) are
checked the same way.

usage: check_pictures.py --ordo build/tools/ordo --models models --out DIR
"""
import argparse
import base64
import binascii
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> the ordo command line that draws it (the output file is appended).
PICTURES = {
    "pair-zh": ["pair", "猫追老鼠", "老鼠追猫", "--svg"],
    "pair-en": ["pair", "The cat chases the mouse.", "The mouse chases the cat.", "--svg"],
    "pair-none": ["pair", "我吃饭了", "吃饭了我", "--pe", "none", "--svg"],
    "pair-joint": ["pair", "--joint", "猫追老鼠", "老鼠追猫", "--svg"],
    "pair-head": ["pair", "猫追老鼠", "老鼠追猫", "--layer", "1", "--head", "0", "--svg"],
    "attention": ["attention", "The cat chases the mouse, and the mouse runs away.", "--svg"],
    "heads": ["heads", "The cat chases the mouse, and the mouse runs away.", "--svg"],
    "attention-long": ["attention", "{long}", "--svg"],
    "pair-long": ["pair", "{long}", "{long_shuffled}", "--scale", "own", "--svg"],
    "pe": ["pe", "--svg"],
    "pe-decompose": ["pe", "--decompose", "--tokens", "60", "--svg"],
    "pe-rotary": ["pe", "--model", "{models}/ordo-rotary", "--svg"],
    "pe-learned": ["pe", "--model", "{models}/ordo-learned", "--svg"],
    "compare-pe": ["compare-pe", "{models}/ordo-none", "{models}/ordo-sinusoidal",
                   "{models}/ordo-learned", "{models}/ordo-rotary", "--lengths", "128,256",
                   "--sentences", "40", "--svg"],
    "pair-report": ["pair", "猫追老鼠", "老鼠追猫", "--html"],
    "compare-pe-report": ["compare-pe", "{models}/ordo-sinusoidal", "{models}/ordo-rotary",
                          "--lengths", "128,256", "--sentences", "40", "--html"],
}


# Dense maps: 60-odd tokens, the smallest cells and labels the drawings use.
LONG = ("当我们在读一句话的时候，词的顺序决定了意思：猫追老鼠和老鼠追猫用的是同样的字。 "
        "Self-attention alone cannot tell them apart; the positional encoding can.")
LONG_SHUFFLED = ("Self-attention alone cannot tell them apart; the positional encoding can. "
                 "当我们在读一句话的时候，词的顺序决定了意思：老鼠追猫和猫追老鼠用的是同样的字。")


def chromium_binary():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("check_pictures.py: no Chromium on PATH (tools/setup-deps.sh --tests installs Debian's "
             "'chromium')")


def chromium(binary, *arguments):
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--no-first-run", "--disable-extensions", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def cjk_font_installed():
    """The drawings name 'Noto Sans CJK SC' first: fontconfig must find it, not a stand-in."""
    match = subprocess.run(["fc-match", "-f", "%{family}", "Noto Sans CJK SC"],
                           capture_output=True, text=True, check=True).stdout
    return "Noto Sans CJK SC" in match, match


def drawing_size(svg_text):
    found = re.search(r'<svg[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"', svg_text)
    return float(found.group(1)), float(found.group(2))


def measurement_page(body, out):
    script = (HERE / "measure_labels.js").read_text()
    out.write_text("<!doctype html><html><head><meta charset=\"utf-8\"></head>"
                   "<body style=\"margin:0\">" + body + "<script>" + script +
                   "</script></body></html>", encoding="utf-8")


def measure(binary, page):
    dom = chromium(binary, "--virtual-time-budget=20000", "--window-size=1600,1200",
                   "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="ordo-labels">(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError(f"{page}: the measuring script left no result")
    return json.loads(html.unescape(found.group(1)))


IMAGE = re.compile(r'<image\b[^>]*?\bwidth="([\d.]+)"[^>]*?\bheight="([\d.]+)"[^>]*?'
                   r'\bhref="data:image/png;base64,([^"]*)"')


def png_problems(data):
    """What is wrong with one PNG (8-bit RGB, as ordo writes them): [] and its size, or the
    problems and None."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return ["not a PNG signature"], None
    chunks, at = {}, 8
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length:at + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            return [f"chunk {kind!r}: CRC mismatch"], None
        chunks[kind] = chunks.get(kind, b"") + body
        at += 12 + length
    if b"IHDR" not in chunks or b"IDAT" not in chunks or b"IEND" not in chunks:
        return [f"chunks {sorted(chunks)}: IHDR, IDAT or IEND missing"], None
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    if (depth, colour) != (8, 2):
        return [f"bit depth {depth}, colour type {colour}: not 8-bit RGB"], None
    try:
        rows = zlib.decompress(chunks[b"IDAT"])
    except zlib.error as error:
        return [f"pixel data: {error}"], None
    stride = 1 + 3 * width
    if len(rows) != height * stride or any(rows[y * stride] > 4 for y in range(height)):
        return [f"pixel data: {len(rows)} bytes for {width}x{height} pixels"], None
    return [], (width, height)


def embedded_image_problems(svg_text):
    """Problems of the PNG images embedded in an SVG: broken, or not a square per pixel."""
    problems = []
    for number, (width, height, encoded) in enumerate(IMAGE.findall(svg_text)):
        try:
            found, size = png_problems(base64.b64decode(encoded, validate=True))
        except binascii.Error as error:
            found, size = [f"base64: {error}"], None
        problems += [f"image {number}: {problem}" for problem in found]
        if size and abs(float(width) / size[0] - float(height) / size[1]) > 1e-3:
            problems.append(f"image {number}: {size[0]}x{size[1]} pixels drawn {width}x{height}")
    return problems


def drawing_problems(drawing):
    """The problems measure_labels.js found in one <svg> drawing."""
    where = f"drawing {drawing['drawing']} ({drawing['width']:.0f}x{drawing['height']:.0f})"
    problems = [] if drawing["labels"] else [f"{where}: no labels"]
    for label in drawing["outside"]:
        problems.append(f"{where}: label {label['text']!r} leaves the drawing "
                        f"(x {label['left']:.1f}..{label['right']:.1f}, "
                        f"y {label['top']:.1f}..{label['bottom']:.1f})")
    for pair in drawing["overlaps"]:
        problems.append(f"{where}: labels {pair['a']!r} and {pair['b']!r} overlap by "
                        f"{pair['depth']:.1f} px")
    return problems


def verdicts(drawings, texts):
    """name -> (problems, labels) for the pictures (name -> text) whose drawings were measured."""
    found = {name: (embedded_image_problems(text), 0) for name, text in texts.items()}
    for drawing in drawings:
        problems, labels = found[drawing["picture"]]
        found[drawing["picture"]] = (problems + drawing_problems(drawing),
                                     labels + drawing["labels"])
    for name in texts:
        if not any(drawing["picture"] == name for drawing in drawings):
            found[name][0].append("no <svg> drawing in it")
    return found


def check_svgs(pictures, binary, out, page_name="svg-pictures"):
    """Measures every SVG picture (name -> path) on one page: name -> (problems, labels)."""
    texts = {name: path.read_text(encoding="utf-8") for name, path in pictures.items()}
    body = "".join(f'<div data-picture="{html.escape(name)}">'
                   f'{re.sub(r"^<[?]xml[^>]*[?]>", "", text)}</div>'
                   for name, text in texts.items())
    page = out / f"{page_name}.measure.html"
    measurement_page(body, page)
    return verdicts(measure(binary, page)["drawings"], texts)


def check_report(name, picture, binary, out):
    """Measures one HTML report on a page of its own: it must also fit its window."""
    text = picture.read_text(encoding="utf-8")
    page = out / f"{name}.measure.html"
    body = re.sub(r"(?s)^.*?<body[^>]*>|</body>.*$", "", text)
    measurement_page(f'<div data-picture="{html.escape(name)}">{body}</div>', page)
    result = measure(binary, page)
    problems, labels = verdicts(result["drawings"], {name: text})[name]
    if result["page_width"] > result["view_width"]:
        problems.append(f"the page is {result['page_width']} px wide in a "
                        f"{result['view_width']} px window")
    return problems, labels


def screenshot(binary, picture, out):
    """Chromium's rendering of a picture that failed, for a person to look at."""
    if picture.suffix == ".svg":
        width, height = drawing_size(picture.read_text(encoding="utf-8"))
        size = f"{int(width + 0.999)},{int(height + 0.999)}"
    else:
        size = "1400,1000"
    shot = out / (picture.stem + ".png")
    chromium(binary, f"--screenshot={shot}", f"--window-size={size}", picture.resolve().as_uri())
    return shot


def report(name, problems, labels, picture, binary, out):
    """Prints one picture's verdict (a failing one with a screenshot); returns 1 if it failed."""
    if not problems:
        print(f"ok   {name}: {labels} labels inside the drawing, none overlapping")
        return 0
    print(f"FAIL {name} ({labels} labels): {len(problems)} problems; the picture: {picture}, "
          f"Chromium's rendering: {screenshot(binary, picture, out)}")
    for problem in problems[:20]:
        print(f"  {problem}")
    return 1


def self_test(binary, out):
    """The check must be able to fail: drawings with a label past the right edge, two labels
    on top of each other, and a rotated label running out at the top are each caught, and a
    clean drawing (rotated labels side by side included) passes."""
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
            'width="300" height="120" viewBox="0 0 300 120" '
            'font-family="\'Noto Sans CJK SC\',sans-serif">')
    cases = {
        "clean": ('<text x="10" y="30" font-size="14">猫追老鼠 fine</text>'
                  '<text transform="translate(40,110) rotate(-60)" font-size="12">[CLS]</text>'
                  '<text transform="translate(60,110) rotate(-60)" font-size="12">[SEP]</text>',
                  None),
        "past the edge": ('<text x="200" y="30" font-size="14">The mouse chases the cat</text>',
                          "leaves the drawing"),
        "overlap": ('<text x="10" y="30" font-size="14">老鼠追猫</text>'
                    '<text x="40" y="36" font-size="14">overlap</text>', "overlap by"),
        "rotated out": ('<text transform="translate(40,30) rotate(-60)" font-size="12">'
                        'a long rotated label</text>', "leaves the drawing"),
    }
    wrong = []
    pictures = {}
    for name, (body, _) in cases.items():
        pictures[name] = out / ("self-test-" + name.replace(" ", "-") + ".svg")
        pictures[name].write_text(head + body + "</svg>\n", encoding="utf-8")
    found = check_svgs(pictures, binary, out, "self-test")
    for name, (_, expected) in cases.items():
        problems = found[name][0]
        if expected is None and problems:
            wrong.append(f"{name}: reported {problems}")
        if expected is not None and not any(expected in problem for problem in problems):
            wrong.append(f"{name}: expected a problem with {expected!r}, got {problems}")
    # Embedded images: a valid 2x1 PNG passes; a flipped pixel byte (CRC), a stretched
    # drawing and a broken zlib stream (a valid CRC over it) are each caught.
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    pixels = zlib.compress(b"\x00\x08\x30\x6b\xff\xff\xff")
    header = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    good = header + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    flipped = bytearray(good)
    flipped[len(header) + 9] ^= 1
    broken = header + chunk(b"IDAT", pixels[:-2]) + chunk(b"IEND", b"")

    def image(png, width=20, height=10):
        return (f'<image width="{width}" height="{height}" '
                f'href="data:image/png;base64,{base64.b64encode(png).decode()}"/>')
    image_cases = {"valid image": (image(good), None),
                   "flipped byte": (image(bytes(flipped)), "CRC mismatch"),
                   "stretched": (image(good, 20, 20), "drawn 20x20"),
                   "broken stream": (image(broken), "pixel data")}
    for name, (body, expected) in image_cases.items():
        problems = embedded_image_problems(body)
        if expected is None and problems:
            wrong.append(f"{name}: reported {problems}")
        if expected is not None and not any(expected in problem for problem in problems):
            wrong.append(f"{name}: expected a problem with {expected!r}, got {problems}")
    if wrong:
        sys.exit("check_pictures.py: the check itself is wrong:\n  " + "\n  ".join(wrong))
    print(f"ok   self-test: {len(cases) - 1} faulty drawings and {len(image_cases) - 1} faulty "
          "images caught, the clean ones pass")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ordo", required=True, help="the ordo CLI")
    parser.add_argument("--models", required=True, help="the bundled models/ directory")
    parser.add_argument("--out", required=True, help="where pictures and screenshots go")
    parser.add_argument("--only", nargs="*", help="check only these pictures")
    arguments = parser.parse_args()
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    binary = chromium_binary()
    self_test(binary, out)

    failures = 0
    installed, match = cjk_font_installed()
    if not installed:
        print(f"FAIL fonts: 'Noto Sans CJK SC' is not installed (fontconfig offers {match!r}); "
              "the Chinese labels would be drawn in a stand-in or as boxes")
        failures += 1
    environment = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
    svgs, reports = {}, {}
    for name, command in PICTURES.items():
        if arguments.only and name not in arguments.only:
            continue
        suffix = ".html" if command[-1] == "--html" else ".svg"
        picture = out / (name + suffix)
        line = [arguments.ordo] + [part.format(models=arguments.models, long=LONG,
                                               long_shuffled=LONG_SHUFFLED) for part in command]
        drawn = subprocess.run(line + [str(picture)], capture_output=True, text=True,
                               env=environment)
        if drawn.returncode != 0:
            print(f"FAIL {name}: {' '.join(line)} exited {drawn.returncode}: {drawn.stderr}")
            failures += 1
            continue
        (reports if suffix == ".html" else svgs)[name] = picture
    for picture in sorted((Path(arguments.models) / "figures").glob("*.svg")):
        if not arguments.only or "card-" + picture.stem in arguments.only:
            svgs["card-" + picture.stem] = picture
    if svgs:
        for name, (problems, labels) in check_svgs(svgs, binary, out).items():
            failures += report(name, problems, labels, svgs[name], binary, out)
    for name, picture in reports.items():
        problems, labels = check_report(name, picture, binary, out)
        failures += report(name, problems, labels, picture, binary, out)
    if failures:
        sys.exit(f"check_pictures.py: {failures} pictures a person cannot read whole")


if __name__ == "__main__":
    main()
