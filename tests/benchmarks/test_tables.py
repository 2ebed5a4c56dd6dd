"""The generated tables of docs/benchmarks.md are what their result files give (benchmarks/tables.py), every
marker names result files that exist, every renderer is used, every other table says it is not generated, and
every result file carries a provenance block."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

tables = pytest.importorskip("benchmarks.tables")
RESULTS = ROOT / "benchmarks" / "results"


def all_blocks():
    return [(doc, block) for doc in tables.DOCS for block in tables.blocks(doc.read_text())]


def test_generated_tables_are_current():
    assert all_blocks(), "no generated table found: the markers are missing"
    stale = [line for doc in tables.DOCS for line in tables.stale(doc)]
    assert not stale, "\n".join(stale) + "\nrun `python benchmarks/tables.py`"


def test_every_marker_names_existing_result_files_and_a_known_renderer():
    for doc, block in all_blocks():
        assert block.renderer in tables.RENDERERS, (doc, block.renderer)
        for name in block.files:
            assert name.startswith("benchmarks/results/") and name.endswith(".json"), (doc, name)
            assert (ROOT / name).is_file(), f"{doc.name}: {name} does not exist"


def test_every_renderer_is_used():
    used = {block.renderer for _, block in all_blocks()}
    assert set(tables.RENDERERS) == used, f"unused renderers: {sorted(set(tables.RENDERERS) - used)}"


def test_every_other_table_says_it_is_not_generated():
    """A markdown table outside the markers is followed (within three lines) by the '(not generated' sentence."""
    for doc in tables.DOCS:
        text = doc.read_text()
        spans = [block.span for block in tables.blocks(text)]
        lines, offset, previous_is_table = text.splitlines(keepends=True), 0, False
        for index, line in enumerate(lines):
            is_table = line.lstrip().startswith("|")
            if is_table and not previous_is_table and not any(a <= offset < b for a, b in spans):
                end = next(i for i in range(index, len(lines) + 1) if i == len(lines) or
                           not lines[i].lstrip().startswith("|"))
                after = "".join(lines[end:end + 3])
                assert "(not generated" in after, f"{doc.name} line {index + 1}: {line.strip()[:80]}"
            previous_is_table, offset = is_table, offset + len(line)


def test_a_changed_number_makes_its_table_stale(tmp_path):
    doc = tables.DOCS[0]
    text = doc.read_text()
    block = next(b for b in tables.blocks(text) if b.renderer == "scaling")
    changed = text[:block.span[0]] + block.body.replace("1.81x", "1.82x", 1) + text[block.span[1]:]
    assert changed != text
    copy = tmp_path / "benchmarks.md"
    copy.write_text(changed)
    assert len(tables.stale(copy)) == 1
    assert tables.regenerate(changed) == text


def test_every_result_file_has_a_provenance_block():
    files = sorted(RESULTS.glob("*.json"))
    assert files
    for path in files:
        data = json.loads(path.read_text())
        assert isinstance(data.get("provenance"), dict), path.name
        assert "git_commit" in data["provenance"], path.name
        if data["provenance"]["git_commit"] is None:      # measured before provenance: the note says what is known
            assert re.search(r"added to the repository in commit [0-9a-f]{40}", data["provenance"]["note"]), path.name


def test_every_txt_result_has_a_json_transcription():
    for path in RESULTS.glob("*.txt"):
        assert path.with_suffix(".json").is_file(), path.name
