"""Renderer of docs/tune.md's and docs/benchmarks.md's table of `duelo tune` against the presets (issue 21,
part 2): benchmarks/tune.py results, one search file and one final file per set, given in pairs."""

from __future__ import annotations

import statistics


def _arm(rows: list[dict], arm: str, key: str) -> str:
    values = [r[key] for r in rows if r["arm"] == arm and r.get(key) is not None]
    if not values:
        return "—"
    return f"{statistics.fmean(values):.3f} ({', '.join(f'{v:.3f}' for v in values)})"


def tune(*results: dict) -> str:
    """Per set: the search (trials, pruned, minutes, proxy of the best), the headline full score of each arm (mean
    and each seed) and whether the tuned settings won."""
    lines = ["| set | search: trials (stopped early) in minutes | best proxy | full score | preset: mean (seeds) "
             "| tuned: mean (seeds) | tuned better | settings found |", "| --- " * 8 + "|"]
    for search, final in zip(results[::2], results[1::2]):
        best = search.get("best") or {}
        settings = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in (best.get("settings") or {}).items())
        rows = final["rows"]
        complete = final.get("complete")
        beats = final.get("tuned_beats_preset")
        verdict = ("— (cut short)" if not complete else "— (no preset arm)" if beats is None
                   else "yes" if beats else "no")
        direction = "lower is better" if final.get("lower_is_better", True) else "higher is better"
        score = final.get("full_score") or {"fashion": "fd_domain", "adult": "ml_efficacy"}.get(final["set"],
                                                                                                 "discriminative")
        lines.append(f"| {final['set']} | {search['trials']} ({search.get('pruned', 0)}) in "
                     f"{search['search_s'] / 60:.1f} | {search['proxy']} {best.get('value', float('nan')):.3f} | "
                     f"{score} ({direction}) | {_arm(rows, 'preset', score)} | {_arm(rows, 'tuned', score)} | "
                     f"{verdict} | {settings} |")
    return "\n".join(lines)


def tune_equal_total(*results: dict) -> str:
    """Per set, from (search, final, equal-total final) triples: the tuned settings at the final length against the
    preset at the same length and at the search's kimg plus that length (an equal total budget). Where the
    equal-total file measured the tuned arm again beside it (the same call), that measurement is the one compared
    (marked "same call")."""
    lines = ["| set | search: kimg (trials) | final length, kimg | preset | tuned | preset for search + final kimg "
             "| tuned better at equal total budget |", "| --- " * 7 + "|"]
    for search, final, equal in zip(results[::3], results[1::3], results[2::3]):
        score = final["full_score"]
        beside = any(r["arm"] == "tuned" for r in equal["rows"])
        tuned_rows = equal["rows"] if beside else final["rows"]
        tuned, longer = statistics.fmean(r[score] for r in tuned_rows if r["arm"] == "tuned"), \
            statistics.fmean(r[score] for r in equal["rows"] if r["arm"] == "preset_equal_total")
        better = tuned < longer if final.get("lower_is_better") else tuned > longer
        total = equal["arm_kimg"]["preset_equal_total"]
        lines.append(f"| {final['set']} | {equal['search_kimg']:,.0f} ({search['trials']}) | "
                     f"{final['full_kimg']:,.0f} | "
                     f"{_arm(final['rows'], 'preset', score)} | {_arm(tuned_rows, 'tuned', score)}"
                     f"{' (same call)' if beside else ''} | "
                     f"{_arm(equal['rows'], 'preset_equal_total', score)} at {total:,.0f} kimg | "
                     f"{'yes' if better else 'no'} |")
    return "\n".join(lines)


def tune_rungs(*results: dict) -> str:
    """Per case: seconds per trial from each source tree (one run per rung, then one run through the rungs)."""
    lines = ["| case | tree (commit) | trials | rung reports | seconds | seconds per trial |", "| --- " * 6 + "|"]
    for result in results:
        for row in result["rows"]:
            failed = "" if row["returncode"] == 0 else " (failed)"
            lines.append(f"| {row['case']} | {row['tree']} ({row['commit']}) | {row['trials']} | {row['rung_reports']} "
                         f"| {row['seconds']:.1f}{failed} | {row['seconds_per_trial']:.1f} |")
    return "\n".join(lines)


def tune_length(*results: dict) -> str:
    """One row per final file of one arm at its own length (`tune.py final --scale S`): a preset's training curve,
    its full score and side scores at each length (every row from one file, so one seed each unless more given)."""
    lines = ["| set | arm | kimg | training minutes | full score (seeds) | column shapes |", "| --- " * 6 + "|"]
    for result in results:
        score = result["full_score"]
        for arm, kimg in result["arm_kimg"].items():
            rows = [r for r in result["rows"] if r["arm"] == arm]
            minutes = statistics.fmean(r["train_s"] for r in rows) / 60
            lines.append(f"| {result['set']} | {arm} | {kimg:,.0f} | {minutes:.1f} | {score} {_arm(rows, arm, score)} "
                         f"| {_arm(rows, arm, 'column_shapes')} |")
    return "\n".join(lines)


RENDERERS = {"tune": tune, "tune-rungs": tune_rungs, "tune-equal-total": tune_equal_total, "tune-length": tune_length}
