"""Renderers of docs/benchmarks.md's good-practice tables (issue 21): benchmarks/clean.py, clean_clips.py and
benchmarks/augment_gain.py results."""

from __future__ import annotations

FAULTS = (("duplicate", "duplicates (exact copies)"), ("outlier", "intruders from another dataset"),
          ("mislabelled", "flipped labels"))


def clean_images(result: dict) -> str:
    """Precision and recall per planted fault kind, one column pair per scenario; goal: 0.9 / 0.8."""
    rows = result["rows"]
    edits = result.get("planted", {}).get("copies_edited") or []
    faults = [(key, f"duplicates (copies edited: {', '.join(edits)}, in turn)" if key == "duplicate" and edits
               else label) for key, label in FAULTS]
    header = "| planted fault | " + " | ".join(f"{row['scenario']}: precision | recall" for row in rows) + " |"
    lines = [header, "| --- " * (1 + 2 * len(rows)) + "|"]
    for key, label in faults:
        cells = []
        for row in rows:
            r = row[key]
            mark = "" if r["goal_met"] else " (missed)"
            cells += [f"{r['precision']:.3f} ({r['correct']}/{r['found']})",
                      f"{r['recall']:.3f} of {r['planted']}{mark}"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for edit in edits:                                            # which edits the near-copy check sees through
        lines.append(f"| copies found, {edit} | " + " | ".join(
            f"{row['duplicate']['recall_by_edit'][edit]:.2f} | " for row in rows) + " |")
    if any("critic_auc_intruders_low" in row for row in rows):
        lines.append("| the run's D alone: AUC of intruders scored low | " + " | ".join(
            f"{row['critic_auc_intruders_low']:.3f} | " if "critic_auc_intruders_low" in row else "— | "
            for row in rows) + " |")
    if any("findings_before_planting" in row for row in rows):            # the set's own faults, before planting
        lines.append("| findings in the set before planting | " + " | ".join(
            (", ".join(f"{count} {kind}" for kind, count in sorted(row["findings_before_planting"].items())) or "none")
            + " | " for row in rows) + " |")
    lines.append("| seconds (CPU) | " + " | ".join(f"{row['seconds']:g} | " for row in rows) + " |")
    return "\n".join(lines)


def clean_tables(result: dict) -> str:
    """Precision and recall of the corrupted rows, and the recall of each corruption."""
    lines = ["| table | rows | corrupted rows | found | precision | recall | times 100 | sign flipped | typo | "
             "findings before corruption |", "| --- " * 10 + "|"]
    for row in result["rows"]:
        c = row["corrupted"]
        by = c["recall_by_corruption"]
        lines.append(f"| {row['scenario']} | {row['rows']:,} | {c['planted']} | {c['found']} | {c['precision']:.3f} | "
                     f"{c['recall']:.3f} | {by['times100']:.3f} | {by['sign']:.3f} | {by['typo']:.3f} | "
                     f"{row['natural_findings_before_corruption']} (repeated rows) |")
    return "\n".join(lines)


def clean_table_labels(result: dict) -> str:
    """Precision and recall of the rows found with a disputed label, after flipping some; the clean table's own."""
    lines = ["| table | rows | labels flipped | found | precision | recall | disputed in the clean table |",
             "| --- " * 7 + "|"]
    for row in result["rows"]:
        r = row["labels"]
        mark = "" if r["goal_met"] else " (missed)"
        lines.append(f"| {row['scenario']} | {row['rows']:,} | {r['planted']:,} | {r['found']:,} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f}{mark} | {row['natural_disputed_labels']:,} |")
    return "\n".join(lines)


def _count(r: dict, kind: str) -> str:
    for key in (f"{kind}_images", f"{kind}_windows", f"{kind}_rows"):
        if key in r:
            return f"{r[key]:,}"
    return "—"


def augment_gain(*results: dict) -> str:
    """The headline metric on the real set alone, with the synthetic data, and the gain's interval; tables also
    with plain oversampling (the real rows of the class repeated), images and windows with --soft with the
    teacher-labelled blends of real items, and with --pretrain also pre-trained on the synthetic items and
    fine-tuned on the real ones."""
    lines = ["| data | real | synthetic | test | metric | real only | real + synthetic | gain (95 % CI) | "
             "control: real + copies or + blends (gain) | synthetic, then real: gain (95 % CI) | GAN |",
             "| --- " * 11 + "|"]
    for r in results:
        gan, metric = r["gan"], r.get("metric", "accuracy")
        low, high = r["gain_ci95"]
        copies = r.get("gains", {}).get("real_plus_copies")
        copied = (f"{r['arms']['real_plus_copies'][metric]:.3f} ({copies['gain']:+.3f})" if copies else "—")
        blends = r.get("gains", {}).get("real_plus_mixtures")
        if blends:
            copied = (f"blends {r['arms']['real_plus_mixtures'][metric]:.3f}: {blends['gain']:+.3f} "
                      f"({blends['ci95'][0]:+.3f} .. {blends['ci95'][1]:+.3f})")
        staged = r.get("gains", {}).get("synthetic_then_real")
        pretrained = (f"{r['arms']['synthetic_then_real'][metric]:.3f}: {staged['gain']:+.3f} "
                      f"({staged['ci95'][0]:+.3f} .. {staged['ci95'][1]:+.3f})" if staged else "—")
        if r.get("class"):
            metric = f"F1 of {r['target']} = {r['class']}"
        trained = (f"{gan['kimg']:.0f} kimg, {gan['train_time_s']:.0f} s" if gan.get("kimg") is not None else "—")
        words = gan["command"].split()
        settings = [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--set"]
        trained += "".join(f", `{item}`" for item in settings)
        chosen = ([f"kept at p ≥ {r['filter']['threshold']:g}"] if r.get("filter") else []) + \
            (["labelled by the real-only classifier"] if r.get("soft") else []) + \
            (["real repeated to half"] if r.get("balance") else [])
        synthetic = _count(r, "synthetic") + (f" ({', '.join(chosen)})" if chosen else "")
        lines.append(f"| {r['dataset']} | {_count(r, 'real')} | {synthetic} | {_count(r, 'test')} | "
                     f"{metric} | {r['real_only']:.3f} | {r['real_plus_synthetic']:.3f} | "
                     f"{r['gain']:+.3f} ({low:+.3f} .. {high:+.3f}) | {copied} | {pretrained} | {trained} |")
    return "\n".join(lines)


CLIP_FAULTS = (("copy", "exact copies"), ("edited", "copies 5-50 ms later, 0-12 dB quieter"),
               ("silent", "silent clips (zeros; noise about 70 dB down)"),
               ("clipped", "clipped clips (peak twice full scale)"),
               ("quiet", "clips 40 dB too quiet"), ("mislabel", "flipped labels (5 %)"))


def clean_clips(result: dict) -> str:
    """Per named audio set: what the checks find as it is, then the recall of each planted fault kind (and, for the
    kinds planted in place, among the clips the set holds no copy of)."""
    rows = result["rows"]
    lines = ["| | " + " | ".join(row["set"] for row in rows) + " |", "| --- " * (1 + len(rows)) + "|",
             "| clips | " + " | ".join(f"{row['as_it_is']['clips']:,}" for row in rows) + " |",
             "| findings as it is | " + " | ".join(
                 ", ".join(f"{n} {kind}" for kind, n in sorted(row["as_it_is"]["counts"].items())) or "none"
                 for row in rows) + " |"]
    for key, label in CLIP_FAULTS:
        cells = []
        for row in rows:
            recall = row["planted"]["recall"]
            cell = f"{recall[key]:.2f}"
            if f"{key}_without_a_copy" in recall:
                cell += f" ({recall[key + '_without_a_copy']:.2f} without a copy)"
            cells.append(cell)
        lines.append(f"| found: {label} | " + " | ".join(cells) + " |")
    lines.append("| seconds (CPU, as it is) | " + " | ".join(f"{row['as_it_is']['seconds']:g}" for row in rows) + " |")
    return "\n".join(lines)


def _planted_sets(result: dict, unit: str, kinds: tuple[tuple[str, str], ...],
                  recalls: tuple[tuple[str, str], ...]) -> str:
    """Per named set (the clean_text.py and clean_music.py files): how many `unit`s and what the checks find as it
    is, the precision / recall of each planted kind (kinds: (kind, label)), the recall of each way a planted fault
    was made (recalls: (the rows' key, word)), and the seconds the set as it is took."""
    sets, planted = result["as_it_is"], {row["set"]: row for row in result["planted"]}
    lines = ["| | " + " | ".join(row["set"] for row in sets) + " |", "| --- " * (1 + len(sets)) + "|",
             f"| {unit} | " + " | ".join(f"{row[unit]:,}" for row in sets) + " |",
             "| findings as it is | " + " | ".join(
                 ", ".join(f"{n} {kind}" for kind, n in sorted(row["counts"].items())) or "none" for row in sets)
             + " |"]
    for kind, label in kinds:
        cells = [f"{planted[row['set']][kind]['precision']:.2f} / {planted[row['set']][kind]['recall']:.2f}"
                 if kind in planted[row["set"]] else "—" for row in sets]
        lines.append(f"| precision / recall: {label} | " + " | ".join(cells) + " |")
    for key, word in recalls:
        for how in sorted({how for row in planted.values() for how in row.get(key, {})}):
            cells = [f"{planted[row['set']][key][how]:.2f}" if how in planted[row["set"]].get(key, {}) else "—"
                     for row in sets]
            lines.append(f"| found: {word}, {how} | " + " | ".join(cells) + " |")
    lines.append("| seconds (CPU, as it is) | " + " | ".join(f"{row['seconds']:g}" for row in sets) + " |")
    return "\n".join(lines)


def clean_text(result: dict) -> str:
    """Per named text set: what the checks find as it is, then precision / recall of each planted kind, and the
    recall of each kind of foreign line."""
    return _planted_sets(result, "lines", (
        ("duplicate", "copies (half exact, half case, spacing or punctuation changed)"),
        ("outlier", "foreign lines (all four kinds below)"),
        ("degenerate", "damaged lines (punctuation alone, a control character, U+FFFD)"),
        ("mislabelled", "flipped labels (5 %)")), (("foreign_recall_by_kind", "foreign"),))


def clean_music(result: dict) -> str:
    """Per named music set: what the checks find as it is, then precision / recall of each planted kind, and the
    recall of each kind of copy and of foreign piece."""
    return _planted_sets(result, "pieces", (
        ("duplicate", "copies (exact, transposed, 3 % of the notes moved)"),
        ("outlier", "foreign pieces (the kinds below)"),
        ("degenerate", "damaged pieces (five notes left, one pitch, a voice silenced)"),
        ("mislabelled", "flipped modes (5 %)")),
        (("copy_recall_by_kind", "copy"), ("foreign_recall_by_kind", "foreign")))


RENDERERS = {"clean-images": clean_images, "clean-tables": clean_tables, "clean-table-labels": clean_table_labels,
             "augment-gain": augment_gain, "clean-clips": clean_clips, "clean-text": clean_text,
             "clean-music": clean_music}
