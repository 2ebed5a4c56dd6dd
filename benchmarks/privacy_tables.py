"""Renderer of docs/benchmarks.md's privacy table (issue 22): benchmarks/privacy.py results."""

from __future__ import annotations


def _attack(row: dict, name: str) -> str:
    a = row["audit"][name]
    return f"{a['auc']:.3f} / {a['epsilon_lower']:.2f}"


def privacy(*results: dict) -> str:
    """Per epsilon: the plan, the scores against the evaluation split, and both attacks (AUC / empirical eps)."""
    lines = ["| epsilon target | spent | noise multiplier | D steps | class accuracy | FD (domain) | distance attack: "
             "AUC / empirical eps | discriminator attack: AUC / empirical eps | `duelo train` wall time |",
             "| --- " * 9 + "|"]
    for result in results:
        for row in result["rows"]:
            p = row.get("privacy") or {}
            spent = f"{p['epsilon_spent']:.3f}" if p else "— (not private)"
            sigma = f"{p['noise_multiplier']:.3f}" if p else "0"
            steps = f"{p['steps']:,}" if p else "—"
            s = row["scores"]
            lines.append(f"| {row['epsilon']} | {spent} | {sigma} | {steps} | {s['class_accuracy']:.3f} | "
                         f"{s['fd_domain']:.2f} | {_attack(row, 'distance_to_closest')} | "
                         f"{_attack(row, 'discriminator')} | {row['kimg']:.0f} kimg, {row['train_wall_s']:.0f} s |")
    return "\n".join(lines)


RENDERERS = {"privacy": privacy}
