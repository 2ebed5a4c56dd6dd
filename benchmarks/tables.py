"""Generate the tables of docs/benchmarks.md from the result files they come from.

    python benchmarks/tables.py            # rewrite every marked block from its file(s)
    python benchmarks/tables.py --check    # exit 1 if a block differs from what its file(s) give

A generated table sits between two markers, which name its renderer (benchmarks/table_renderers.py) and its
result files, relative to the repository root:

    <!-- table: RENDERER benchmarks/results/FILE.json [benchmarks/results/MORE.json ...] -->
    | ... the table ... |
    <!-- /table -->

Everything between the markers is the renderer's output (indented like the opening marker, e.g. inside a list
item); everything outside them is left alone. Tables whose numbers are in no result file are not marked and
say so in the docs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))     # benchmarks/ (not src/): the renderers' modules

from table_renderers import RENDERERS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "docs" / "benchmarks.md"]
MARKER = re.compile(r"^(?P<indent>[ \t]*)<!-- table: (?P<renderer>\S+)(?P<files>(?: +\S+)+) -->\n"
                    r"(?P<body>.*?)^(?P=indent)<!-- /table -->$", re.M | re.S)


@dataclass(frozen=True)
class Block:
    renderer: str
    files: tuple[str, ...]
    indent: str
    body: str           # what is between the markers now
    span: tuple[int, int]   # of the body in the document


def blocks(text: str) -> list[Block]:
    return [Block(m["renderer"], tuple(m["files"].split()), m["indent"], m["body"], m.span("body"))
            for m in MARKER.finditer(text)]


def render(block: Block, root: Path = ROOT) -> str:
    """The body the block should have: the renderer's table, indented, between blank lines."""
    if block.renderer not in RENDERERS:
        raise SystemExit(f"unknown renderer {block.renderer!r}; known: {', '.join(RENDERERS)}")
    results = [json.loads((root / name).read_text()) for name in block.files]
    table = RENDERERS[block.renderer](*results)
    lines = "\n".join(block.indent + line if line else line for line in table.splitlines())
    return f"\n{lines}\n\n"


def regenerate(text: str, root: Path = ROOT) -> str:
    out, at = [], 0
    for block in blocks(text):
        out += [text[at:block.span[0]], render(block, root)]
        at = block.span[1]
    return "".join(out) + text[at:]


def stale(path: Path, root: Path = ROOT) -> list[str]:
    """One line per block of `path` whose body is not what its files give."""
    text = path.read_text()
    return [f"{path}: the {b.renderer} table from {', '.join(b.files)} is stale"
            for b in blocks(text) if b.body != render(b, root)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale blocks and exit 1, change nothing")
    parser.add_argument("docs", nargs="*", type=Path, default=DOCS, help="markdown files (default: %(default)s)")
    args = parser.parse_args(argv)
    problems = []
    for path in args.docs:
        path = path.resolve()
        if args.check:
            problems += stale(path)
            continue
        text = path.read_text()
        new = regenerate(text)
        if new != text:
            path.write_text(new)
            print(f"regenerated the tables of {path}")
    for line in problems:
        print(line)
    if problems:
        print("run `python benchmarks/tables.py` to regenerate them")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
