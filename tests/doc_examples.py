#!/usr/bin/env python3
"""The CLI sessions shown in README.md and docs/*.md stay true: every block line
`$ build/tools/ordo ...` is run again (from the repository root, with the build's binary) and
its output must be the text shown under it — words exactly, numbers to the digits printed
(within two units of the last one, so that another CPU's rounding cannot fail it). The
server and the benchmark, whose output is a machine's, are not shown that way.

usage: doc_examples.py --ordo build/tools/ordo --root .            # check
       doc_examples.py --ordo build/tools/ordo --root . --update   # write what differs into the
                                                                   # pages (new bundled models)
With --update, a file a session writes (--svg, --html, --npy) that the repository has at that
path is replaced by the new one too (a picture the page shows, e.g. docs/pair-cat-mouse.svg).
"""
import argparse
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def sessions(text):
    """(command, shown output) for each `$ build/tools/ordo` line inside a fenced block."""
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        lines = block.rstrip("\n").split("\n")
        for i, line in enumerate(lines):
            if not line.startswith("$ build/tools/ordo "):
                continue
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("$ ")),
                       len(lines))
            yield line[2:], "\n".join(lines[i + 1:end]).rstrip()


def same(shown, actual):
    """Words equal; numbers within two units of the last digit shown."""
    a, b = shown.split(), actual.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        core_x, core_y = x.strip("(),:"), y.strip("(),:")
        if NUMBER.match(core_x) and NUMBER.match(core_y):
            decimals = len(core_x.split(".")[1]) if "." in core_x else 0
            if abs(float(core_x) - float(core_y)) > 2 * 10 ** -decimals + 1e-12:
                return False
            if x.replace(core_x, "") != y.replace(core_y, ""):
                return False
        elif x != y:
            return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ordo", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--update", action="store_true",
                        help="replace each differing output shown in the page by the actual one")
    arguments = parser.parse_args()
    root = Path(arguments.root).resolve()
    checked, failures = 0, []
    scratch = tempfile.mkdtemp(prefix="ordo-doc-examples-")
    for page in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for command, shown in sessions(text):
            words = shlex.split(command)
            words[0] = arguments.ordo
            # Files the session writes go to a scratch directory, not over the repository's.
            written = []
            for k in range(1, len(words) - 1):
                if words[k] in ("--svg", "--html", "--npy"):
                    written.append((Path(scratch) / Path(words[k + 1]).name, root / words[k + 1]))
                    words[k + 1] = str(written[-1][0])
            done = subprocess.run(words, capture_output=True, text=True, cwd=root)
            if done.returncode == 0 and arguments.update:
                for new, kept in written:
                    if kept.is_file() and kept.read_bytes() != new.read_bytes():
                        shutil.copyfile(new, kept)
                        print(f"updated {kept.relative_to(root)}")
            actual = done.stdout.rstrip().replace(str(root) + "/", "")
            checked += 1
            if done.returncode == 0 and arguments.update and not same(shown, actual):
                text = text.replace(f"$ {command}\n{shown}", f"$ {command}\n{actual}", 1)
                print(f"updated {page.relative_to(root)}: `{command}`")
                page.write_text(text, encoding="utf-8")
            elif done.returncode != 0 or not same(shown, actual):
                failures.append(f"{page.relative_to(root)}: `{command}` (exit "
                                f"{done.returncode}) prints\n{actual}\n--- the page shows\n{shown}")
    shutil.rmtree(scratch)
    for failure in failures:
        print("FAIL " + failure + "\n")
    print(f"{checked} documented sessions run, {len(failures)} differ")
    if checked == 0 or failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
