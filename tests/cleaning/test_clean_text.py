"""`duelo clean` on text lines: in a made-up corpus of two classes with their own words, a line of punctuation, a
line with a control character, one with U+FFFD, an exact copy, a copy in capitals, a line of random letters, a
mojibake line, a line in HTML markup and a mislabelled line are found, and nothing else is; the command writes a
report and a cleaned.txt that the text task reads, and refuses what does not apply."""

from __future__ import annotations

import json

import numpy as np
import pytest

from duelo.cleaning.text_faults import find_text_faults, normal_form, surprise
from duelo.cli.clean_text import is_text
from duelo.cli.main import main
from duelo.tasks.text.sources import read_text_file

WORDS = {"sea": "the boat sails over waves while gulls cry above the harbour and fishermen haul their nets home",
         "farm": "a farmer ploughs fields where cows graze beside barns full of hay and wheat grows tall in spring"}


def _sentence(rng, words: list[str]) -> str:
    chosen = rng.choice(words, rng.integers(6, 12))
    return " ".join(chosen).capitalize() + rng.choice([".", "!", "?"])


def _planted():
    """240 lines (120 per class), then the faults (index: kind)."""
    rng = np.random.default_rng(0)
    names = list(WORDS)
    lines = [_sentence(rng, WORDS[names[i % 2]].split()) for i in range(240)]
    labels = [i % 2 for i in range(240)]
    planted = {240: "degenerate", 241: "degenerate", 242: "degenerate", 243: "duplicate", 244: "duplicate",
               245: "outlier", 246: "outlier", 247: "mislabelled", 248: "outlier"}
    lines += ["... !!! ---",                                         # 240: punctuation alone
              lines[3][:10] + "\x07" + lines[3][10:] + " again",      # 241: a control character
              "The boat \ufffd sails home.",                          # 242: the replacement character
              lines[7],                                               # 243: an exact copy of line 7
              lines[8].upper().replace(" ", "  "),                    # 244: line 8 in capitals, spaced out
              "xqzj wvkp qqxz jjvw zkqx pvvz",                        # 245: random letters
              "Ã©tÃ© Ã  la cafÃ© Ã¨s Ã§a Ã¯ Ã´ Ã»"]                        # 246: UTF-8 read as Latin-1, no C1 byte
    lines.append(_sentence(rng, WORDS["sea"].split()))               # 247: a sea sentence called farm
    lines.append(f"<p class='x'>{lines[20]} ok</p>")                 # 248: a line that kept its markup
    labels += [0, 1, 0, 1, 0, 1, 0, 1, 0]
    return lines, labels, names, planted


def test_every_planted_fault_is_found_and_nothing_else():
    lines, labels, names, planted = _planted()
    faults = find_text_faults(lines, labels, names)
    found = {f.index: f for f in faults.findings}
    assert {i: f.kind for i, f in found.items()} == planted, [(f.index, f.kind, f.reason) for f in faults.findings]
    assert "no letter or digit" in found[240].reason and "U+0007" in found[241].reason
    assert "U+FFFD" in found[242].reason
    assert found[243].related == 7 and "exact copy of line 8" in found[243].reason
    assert found[244].related == 8 and "case, spacing or punctuation" in found[244].reason
    assert "surprise" in found[245].reason and found[247].suggested == 0
    assert "markup (<p class='x'>)" in found[248].reason


def test_the_normal_form_and_the_surprise_of_characters():
    assert normal_form("  Hello,   WORLD!! ") == normal_form("hello world") == "hello world"
    assert normal_form("...") == ""
    bits = surprise(["the cat sat on the mat"] * 30 + ["zqxj vwkq"])
    assert bits[-1] > 2 * bits[0]                     # pairs the data never has cost more than those it repeats


def test_markup_is_an_outlier_only_where_few_lines_hold_it():
    from duelo.cleaning.findings import Faults
    from duelo.cleaning.text_faults import markup

    plain = [f"line number {k}" for k in range(40)]
    faults = Faults([])
    assert markup(plain + ["<b>bold</b> move"], faults, np.zeros(41, bool)) == "1 line(s) with markup"
    assert [f.index for f in faults.findings] == [40]
    tagged = [f"<li>item {k}</li>" for k in range(10)] + plain
    faults = Faults([])
    assert "part of the data" in markup(tagged, faults, np.zeros(50, bool)) and not faults.findings
    quoted = ["x < y and y > z", "<Knghtbrd> a chat log quotes its speakers so"]
    assert markup(quoted + plain, Faults([]), np.zeros(42, bool)) == "0 line(s) with markup"


def test_unlabelled_lines_skip_the_mislabel_check_and_tiny_sets_skip_outliers():
    faults = find_text_faults(["one line", "another line", "one line"])
    assert [(f.index, f.kind) for f in faults.findings] == [(2, "duplicate")]
    assert faults.checked["mislabels"] == "skipped: the data is unlabelled"
    assert faults.checked["outliers"].startswith("skipped: fewer than")


def _write(path, lines, labels, names):
    path.write_text("".join(f"{names[k]}\t{line}\n" for line, k in zip(lines, labels)), encoding="utf-8")
    return path


def test_the_command_writes_a_report_and_a_cleaned_copy_the_text_task_reads(tmp_path, capsys):
    lines, labels, names, planted = _planted()
    path = _write(tmp_path / "corpus.txt", lines, labels, names)
    assert is_text(str(path)) and is_text("kjv") and not is_text(str(tmp_path / "corpus.tsv"))
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"degenerate": 3, "duplicate": 2, "outlier": 3, "mislabelled": 1}
    assert report["kept_in_copy"] == len(lines) - len(planted)
    assert {f["name"] for f in report["findings"]} == {f"line {i + 1}" for i in planted}
    page = (out / "report.html").read_text()
    assert "xqzj wvkp" in page and "9: " + lines[8] in page                # the line, and the line it copies
    cleaned = read_text_file(out / "cleaned.txt")
    assert cleaned.lines == [line for i, line in enumerate(lines) if i not in planted]
    kept = [i for i in range(len(lines)) if i not in planted]
    assert [cleaned.class_names[k] for k in cleaned.labels] == [names[labels[i]] for i in kept]
    assert "lines checked" in capsys.readouterr().out
    assert "<td>246</td><td>unlike the bulk" in page                        # rows numbered as the lines are
    also = tmp_path / "kept"
    assert main(["clean", str(path), "--out", str(also), "--keep", "duplicate,mislabelled"]) == 0
    removed = sum(kind in ("degenerate", "outlier") for kind in planted.values())
    assert len(read_text_file(also / "cleaned.txt").lines) == len(lines) - removed == len(lines) - 6


@pytest.mark.parametrize("options, words", [(["--run", "runs/x"], "that option is for images"),
                                            (["--keep", "typo"], "unknown kind 'typo' for text lines"),
                                            (["--label", "band"], "that option is for tables")])
def test_what_does_not_apply_to_text_is_refused_before_anything_is_written(tmp_path, capsys, options, words):
    lines, labels, names, _ = _planted()
    path = _write(tmp_path / "corpus.txt", lines, labels, names)
    out = tmp_path / "checked"
    assert main(["clean", str(path), "--out", str(out), *options]) != 0
    assert words in capsys.readouterr().err and not out.exists()


def test_a_file_that_is_not_utf8_gets_the_readers_message(tmp_path, capsys):
    path = tmp_path / "latin.txt"
    path.write_bytes("caf\u00e9 au lait\nun autre\n".encode("latin-1"))
    assert main(["clean", str(path), "--out", str(tmp_path / "checked")]) != 0
    assert "not UTF-8 text" in capsys.readouterr().err and not (tmp_path / "checked").exists()


def test_the_kinds_of_data_do_not_overlap_and_import_their_checks_only_when_used(tmp_path):
    import subprocess
    import sys

    from duelo.cli.clean import DATA_KINDS

    examples = {"table": str(tmp_path / "a.tsv"), "text": "kjv", "clips": "drums", "series": "gunpoint",
                "music": "chorales"}
    for name, data in examples.items():
        assert [k for k in DATA_KINDS.names() if DATA_KINDS.info(k).holds(data)] == [name], data
    code = ("import sys, duelo.cli.clean; "
            "print(any(m in sys.modules for m in ('duelo.cli.clean_text', 'duelo.cleaning.text_faults', "
            "'duelo.cli.clean_music', 'duelo.tasks.music.faults')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
