#!/usr/bin/python3
"""Build the English + Simplified-Chinese training corpus for ordo's bundled models.

Only installed Debian packages are read:
  debian-reference-en / -zh-cn   the Debian Reference, HTML chapters
  manpages, manpages-dev         Linux man-pages project (English)
  manpages-zh                    Chinese manual pages (zh_CN only: Simplified)

Man pages are rendered with `man -l` (groff -Tutf8 via man-db) and `col -bx`,
with a very wide page so that each filled paragraph is one line.

Pipeline: extract -> clean (strip markup, collapse whitespace, drop code-like or
too-short lines, drop boiler-plate sections) -> split into sentence-ish lines ->
deduplicate (exact, first occurrence wins, sources in a fixed order) -> split by
DOCUMENT (one HTML chapter or man page is a document): the documents of each language
are shuffled with a fixed seed and whole documents are held out until about 3% of that
language's lines (capped) are; the rest is train. Lines keep their order inside a
document, so a training sequence packs consecutive sentences of one text; train.txt has
an empty line between documents (a sequence never spans two), heldout.txt has none.

Usage: build_corpus.py WORKDIR [--seed 1234] [--heldout-fraction 0.03]
Writes WORKDIR/train.txt, WORKDIR/heldout.txt, WORKDIR/corpus_stats.json.
"""
import argparse
import concurrent.futures
import glob
import html.parser
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

# (package, language the package is written in, how to find its files, extractor)
SOURCES = [
    ("debian-reference-en", "en", "/usr/share/debian-reference/*.en.html", "html"),
    ("debian-reference-zh-cn", "zh", "/usr/share/debian-reference/*.zh-cn.html", "html"),
    ("manpages", "en", r"^/usr/share/man/man[1-9]/", "man"),
    ("manpages-dev", "en", r"^/usr/share/man/man[1-9]/", "man"),
    ("manpages-zh", "zh", r"^/usr/share/man/zh_CN/man[1-9]/", "man"),
]

# Man page sections that are lists of names, synopses, credits or code.
SKIP_SECTIONS = {
    "NAME", "SYNOPSIS", "SEE ALSO", "COLOPHON", "AUTHOR", "AUTHORS", "COPYRIGHT",
    "REPORTING BUGS", "LIBRARY", "ATTRIBUTES",
    "名称", "名字", "概述", "总览", "大纲", "概要", "语法", "参见", "另见", "参考", "作者",
    "版权", "报告错误", "报告BUG", "报告缺陷",
    "[中文版维护人]", "[中文版最新更新]", "【中文版维护人】", "【中文版最新更新】",
    "中文版维护人", "中文版最新更新", "跋",
}
BOILERPLATE = re.compile(
    r"中文版维护人|中文版最新更新|中国linux论坛|中国 linux 论坛|linux man 手册|cmpp|"
    r"This page is part of|latest version of this page|can be found at|bug reports? (to|at)|"
    r"Copyright|Free Software Foundation|GNU General Public License|"
    r"https?://|www\.|@[a-z0-9-]+\.(com|org|net)",
    re.IGNORECASE,
)

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
CODE_CHARS = set("{}[]<>=;$#|\\_*&%@~^`")


# ----------------------------------------------------------------------------- extraction
class HtmlText(html.parser.HTMLParser):
    """Text of an XHTML page, one line per block element; <pre> and <script> skipped."""

    BLOCKS = {"p", "li", "dd", "dt", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
              "div", "title", "caption", "br", "tr", "table", "ul", "ol", "dl", "blockquote"}
    SKIP = {"pre", "script", "style", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip_depth += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skip_depth > 0:
            self.skip_depth -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.skip_depth == 0:
            self.parts.append(data.replace("\n", " "))

    def text(self):
        return "".join(self.parts)


def extract_html(path):
    parser = HtmlText()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    return parser.text().split("\n")


def render_man(path):
    env = dict(os.environ, MANWIDTH="4000", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="",
               MANROFFSEQ="", MANPAGER="cat", PAGER="cat")
    try:
        man = subprocess.run(["man", "-l", "-E", "UTF-8", path], env=env, capture_output=True,
                             timeout=60)
        col = subprocess.run(["col", "-bx"], input=man.stdout, capture_output=True, timeout=60)
        return col.stdout.decode("utf-8", errors="replace")
    except subprocess.TimeoutExpired:
        return ""


def extract_man(path):
    """Rendered man page -> paragraph lines, minus header/footer and skipped sections."""
    lines = render_man(path).split("\n")
    body = [l for l in lines if l.strip()]
    if len(body) < 3:
        return []
    body = body[1:-1]  # running header and footer
    out, section = [], ""
    for line in body:
        if not line[0].isspace():  # section heading
            section = line.strip()
            continue
        if section.upper() in SKIP_SECTIONS or section in SKIP_SECTIONS:
            continue
        out.append(line)
    return out


def package_files(package, pattern):
    if pattern.startswith("/"):
        return sorted(glob.glob(pattern))
    listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True).stdout
    rx = re.compile(pattern)
    return sorted(p for p in listing.split("\n") if rx.search(p) and os.path.isfile(p)
                  and not os.path.islink(p))


# ----------------------------------------------------------------------------- cleaning
def collapse(text):
    text = "".join(" " if unicodedata.category(c) in ("Zs", "Cc") else c for c in text)
    text = text.replace("\u00ad", "")  # soft hyphen
    return re.sub(r" +", " ", text).strip()


SENT_EN = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z\"'(])")
SENT_ZH = re.compile(r"(?<=[。！？])")


def sentences(text):
    out = []
    for part in SENT_ZH.split(text):
        out.extend(SENT_EN.split(part))
    return [s.strip() for s in out if s.strip()]


def language(line):
    """'en', 'zh' or None (mixed, unusable) from the script of the letters."""
    cjk = len(CJK.findall(line))
    latin = len(LATIN.findall(line))
    if cjk == 0:
        return "en"
    if cjk * 5 >= latin:
        return "zh"
    return None


def keep(line, lang):
    """Prose test: long enough, few code characters, mostly letters."""
    n = len(line)
    if n > 2000 or BOILERPLATE.search(line):
        return False
    if sum(c in CODE_CHARS for c in line) > 0.03 * n + 1:
        return False
    if lang == "en":
        words = line.split()
        if len(words) < 5 or n < 25:
            return False
        if sum(c.isalpha() or c == " " for c in line) < 0.85 * n:
            return False
        if sum(ord(c) > 127 for c in line) > 0.05 * n:
            return False
        if not (line[0].isalpha() or line[0] in "\"'("):
            return False
        # option lists and identifiers: too many words with digits or punctuation inside
        odd = sum(bool(re.search(r"[0-9_/().:-]", w[:-1])) for w in words)
        if odd > 0.3 * len(words):
            return False
    else:
        cjk = len(CJK.findall(line))
        if cjk < 6:
            return False
        if sum(c.isalpha() or c in " ，。、；：！？“”（）《》‘’" for c in line) < 0.8 * n:
            return False
    return True


# ----------------------------------------------------------------------------- provenance
def package_info(package):
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True).stdout.strip()
    main_licence, licences = None, []
    path = f"/usr/share/doc/{package}/copyright"
    if os.path.exists(path):
        stanza_files = None
        for line in open(path, encoding="utf-8", errors="replace"):
            if line.startswith("Files:"):
                stanza_files = line.split(":", 1)[1].strip()
            m = re.match(r"License:\s*(\S.*)$", line)
            if m:
                name = m.group(1).strip()
                if stanza_files == "*" and main_licence is None:
                    main_licence = name
                if name not in licences:
                    licences.append(name)
    return {"package": package, "version": version, "licence": main_licence,
            "all_licences_in_copyright": licences}


# ----------------------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("workdir")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--heldout-fraction", type=float, default=0.03)
    ap.add_argument("--heldout-max-chars", type=int, default=250_000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    seen = set()
    documents = []  # [(line, lang, package)] per file, in first-seen order
    stats = []
    for package, _, pattern, kind in SOURCES:
        files = package_files(package, pattern)
        extractor = extract_html if kind == "html" else extract_man
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            raw = list(pool.map(extractor, files))  # map keeps file order: deterministic
        info = package_info(package)
        info.update(files=len(files), raw_lines=sum(len(r) for r in raw),
                    lines={"en": 0, "zh": 0}, chars={"en": 0, "zh": 0}, duplicates=0)
        for lines in raw:
            document = []
            for block in lines:
                for sent in sentences(collapse(block)):
                    lang = language(sent)
                    if lang is None or not keep(sent, lang):
                        continue
                    if sent in seen:
                        info["duplicates"] += 1
                        continue
                    seen.add(sent)
                    document.append((sent, lang, package))
                    info["lines"][lang] += 1
                    info["chars"][lang] += len(sent)
            if document:
                documents.append(document)
        stats.append(info)
        print(f"{package} {info['version']}: {len(files)} files, "
              f"en {info['lines']['en']} lines/{info['chars']['en']} chars, "
              f"zh {info['lines']['zh']} lines/{info['chars']['zh']} chars, "
              f"{info['duplicates']} duplicates dropped", flush=True)

    # Held out by document, per language (a document's language is its majority): a held-out
    # sentence never has its neighbours in the training text.
    def majority(document):
        zh = sum(1 for _, lang, _ in document if lang == "zh")
        return "zh" if 2 * zh > len(document) else "en"

    rng = random.Random(args.seed)
    order = list(range(len(documents)))
    rng.shuffle(order)
    def size(document):
        return len(document), sum(len(line) + 1 for line, _, _ in document)

    all_chars = sum(size(d)[1] for d in documents)
    held_docs, train_docs = [], []
    for lang in ("en", "zh"):
        docs = [documents[i] for i in order if majority(documents[i]) == lang]
        lang_lines = sum(size(d)[0] for d in docs)
        lang_chars = sum(size(d)[1] for d in docs)
        # This language's share of the held-out lines and of the character cap.
        want_lines = args.heldout_fraction * lang_lines
        cap_chars = args.heldout_max_chars * lang_chars / all_chars
        lines = chars = 0
        for document in docs:
            n, c = size(document)
            # A document that alone would overshoot is skipped: held-out stays a mix of many.
            if lines < want_lines and lines + n <= 1.5 * want_lines and chars + c <= cap_chars:
                held_docs.append(document)
                lines, chars = lines + n, chars + c
            else:
                train_docs.append(document)
    held = [item for d in held_docs for item in d]
    train = [item for d in train_docs for item in d + [("", None, None)]]

    def write(name, items):
        with open(os.path.join(args.workdir, name), "w", encoding="utf-8") as f:
            for line, _, _ in items:
                f.write(line + "\n")
        items = [item for item in items if item[0]]  # not the empty lines between documents
        summary = {"lines": len(items), "chars": sum(len(l) for l, _, _ in items),
                   "bytes": os.path.getsize(os.path.join(args.workdir, name))}
        for lang in ("en", "zh"):
            sel = [l for l, g, _ in items if g == lang]
            summary[lang] = {"lines": len(sel), "chars": sum(len(l) for l in sel)}
        return summary

    splits = {"train": write("train.txt", train), "heldout": write("heldout.txt", held)}
    splits["train"]["documents"] = len(train_docs)
    splits["heldout"]["documents"] = len(held_docs)
    result = {"seed": args.seed, "split": "by document", "heldout_fraction": args.heldout_fraction,
              "heldout_max_chars": args.heldout_max_chars, "sources": stats, "splits": splits}
    with open(os.path.join(args.workdir, "corpus_stats.json"), "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    for name, s in splits.items():
        print(f"{name}: {s['lines']} lines, {s['chars']} chars ({s['bytes']} bytes); "
              f"en {s['en']['lines']} lines/{s['en']['chars']} chars; "
              f"zh {s['zh']['lines']} lines/{s['zh']['chars']} chars")


if __name__ == "__main__":
    sys.exit(main())
