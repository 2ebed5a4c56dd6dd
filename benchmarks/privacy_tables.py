"""Renderers of docs/benchmarks.md's privacy tables (issue 22): benchmarks/privacy.py, privacy_tabular.py and
privacy_series.py results."""

from __future__ import annotations


def _attack(row: dict, name: str) -> str:
    a = row["audit"].get(name)
    return "—" if a is None else f"{a['auc']:.3f} / {a['epsilon_lower']:.2f}"


def _shadow(attacks: dict) -> str:
    a = attacks.get("shadow_model")
    return "not run" if a is None else f"{a['auc']:.3f} / {a['epsilon_lower']:.2f}"


def _plan(p: dict | None) -> str:
    """The cells "spent | noise multiplier | D steps" of a run's privacy section (none: not private)."""
    if not p:
        return "— (not private) | 0 | —"
    return f"{p['epsilon_spent']:.3f} | {p['noise_multiplier']:.3f} | {p['steps']:,}"


def privacy(*results: dict) -> str:
    """Per epsilon: the plan, the scores against the evaluation split, and both attacks (AUC / empirical eps)."""
    lines = ["| epsilon target | spent | noise multiplier | D steps | class accuracy | FD (domain) | distance attack: "
             "AUC / empirical eps | discriminator attack: AUC / empirical eps | shadow attack: AUC / empirical eps "
             "| `duelo train` wall time |",
             "| --- " * 10 + "|"]
    for result in results:
        for row in result["rows"]:
            s = row["scores"]
            lines.append(f"| {row['epsilon']} | {_plan(row.get('privacy'))} | {s['class_accuracy']:.3f} | "
                         f"{s['fd_domain']:.2f} | {_attack(row, 'distance_to_closest')} | "
                         f"{_attack(row, 'discriminator')} | {_shadow(row['audit'])} | {row['kimg']:.0f} kimg, "
                         f"{row['train_wall_s']:.0f} s |")
    return "\n".join(lines)


def privacy_tabular(*results: dict) -> str:
    """Per epsilon of benchmarks/privacy_tabular.py: the plan, the scores against the test table, the attack."""
    lines = ["| epsilon target | epochs | spent | DP-SGD noise | histogram noise | D steps "
             "| ML efficacy (TSTR / TRTR macro F1) | column shapes | pair trends "
             "| distance attack: AUC / TPR at 1 % FPR / empirical eps | shadow attack: AUC / empirical eps "
             "| fit wall time |",
             "| --- " * 12 + "|"]
    for result in results:
        for row in result["rows"]:
            p = row.get("privacy") or {}
            private = "— (not private) | 0 | 0 | —"
            if p:
                private = (f"{p['epsilon_spent']:.3f} | {p['noise_multiplier']:.3f} | "
                           f"{p['histogram_noise_multiplier'][0]:.2f} | {p['steps']:,}")
            a = row["attacks"]["distance_to_closest"]
            lines.append(f"| {row['epsilon']} | {result.get('epochs', '')} | {private} | {row['ml_efficacy']:.3f} "
                         f"({row['tstr_macro_f1']:.3f} / "
                         f"{row['trtr_macro_f1']:.3f}) | {row['column_shapes']:.3f} | "
                         f"{row['column_pair_trends']:.3f} | {a['auc']:.3f} / {a['tpr_at_fpr_0.01']:.3f} / "
                         f"{a['epsilon_lower']:.2f} | {_shadow(row['attacks'])} | {row['fit_s']:.0f} s |")
    return "\n".join(lines)


def privacy_series(*results: dict) -> str:
    """Per epsilon of benchmarks/privacy_series.py: the plan, the run's scores, both attacks."""
    lines = ["| training windows | epsilon target | spent | noise multiplier | D steps | discriminative (GRU / conv) "
             "| predictive MAE (real on real) | context-FID (real vs real) | distance attack: AUC / empirical eps "
             "| discriminator attack: AUC / empirical eps | `duelo train` wall time |",
             "| --- " * 11 + "|"]
    for result in results:
        for row in result["rows"]:
            p = row.get("privacy") or {}
            s = row["scores"]
            trained = p.get("records") or round(result["windows"] * 0.8)
            lines.append(f"| {trained:,} | {row['epsilon']} | {_plan(p)} | {s['discriminative']:.3f} / "
                         f"{s['discriminative_conv']:.3f} | {s['predictive_mae']:.3f} ({s['predictive_mae_real']:.3f}) "
                         f"| {s['context_fid']:.3f} ({s['context_fid_real']:.3f}) | "
                         f"{_attack(row, 'distance_to_closest')} | {_attack(row, 'discriminator')} | "
                         f"{row['kimg']:.0f} kimg, {row['train_wall_s']:.0f} s |")
    return "\n".join(lines)


RENDERERS = {"privacy": privacy, "privacy-tabular": privacy_tabular, "privacy-series": privacy_series}
