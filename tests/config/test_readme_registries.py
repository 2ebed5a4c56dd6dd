"""The README's registry table lists what the registries hold: a hand-written copy that a test keeps true."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
ROW = re.compile(r"^\| (?P<names>`[A-Z_]+`(?:, `[A-Z_]+`)*)[^|]* \| `(?P<module>[\w.]+)` \| (?P<entries>.+) \|$")


def test_every_registry_row_of_the_readme_names_exactly_the_registered_entries():
    rows = [m for line in README.read_text().splitlines() if (m := ROW.match(line))]
    assert len(rows) >= 15
    for row in rows:
        module = importlib.import_module(row["module"])
        names = re.findall(r"`([A-Z_]+)`", row["names"])
        groups = row["entries"].split(";")
        if len(groups) == 1:                        # one list for several registries of the same names
            groups = groups * len(names)
        assert len(groups) == len(names), row.group(0)
        for name, group in zip(names, groups):
            listed = sorted(re.findall(r"`([^`]+)`", group))
            assert listed == sorted(getattr(module, name).names()), f"README row {name}: {listed}"
