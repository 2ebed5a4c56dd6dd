"""Faults of a set of text lines (the text task's samples: one line each, with an optional label), each line given
at most one finding, the most serious:

    degenerate   a line with no letter or digit (punctuation, symbols or spaces alone), or holding U+FFFD (the
                 replacement character a wrong decoding leaves behind) or a control character
    duplicate    exact: the same text as an earlier line; near: the same words in the same order as an earlier
                 line once case, spacing and punctuation are set aside (a copy typed again or exported twice)
    outlier      an HTML/XML tag, where at most MARKUP_SHARE of the lines hold one; or characters unlike the
                 data's: a line's mean surprise (bits per character) under a model of the data's character pairs
                 (a bigram model fitted on all lines, add-one smoothed: random letters, another script, a garbled
                 encoding), or its length in characters (log), more than OUTLIER_Z robust standard deviations
                 above the median line's; the reason names which
    mislabelled  (labels, two or more classes) a logistic regression on the lines' word and character n-grams
                 (TF-IDF), cross-fitted (findings.cross_fitted: every line judged by a model that never saw it),
                 gives the line's own label at most MISLABEL_OWN and another class at least MISLABEL_SURE

Surprise and length are one statistic each, read alone, as the clips' statistics are: a line is an outlier for a
property that can be named. The thresholds are fixed; tests/cleaning/test_clean_text.py plants each fault in a
made-up corpus, benchmarks/clean_text.py in real ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import numpy as np

from duelo.cleaning.findings import Faults, Finding, cross_fitted, robust_z

OUTLIER_Z = 8.0                  # robust deviations (benchmarks/clean_text.py: what it finds in the named sets)
MIN_OUTLIER_LINES = 20
MISLABEL_OWN = 0.1               # benchmarks/clean_text.py: 0.05 finds a fifth of the flipped verses
MISLABEL_SURE = 0.8              # and another class at least this: a flat guess among many classes is no evidence
MISLABEL_C = 1.0                 # the logistic regression's inverse regularisation: larger is surer, and wronger
MAX_MISLABEL_LINES = 100_000
MAX_FEATURES = 20_000            # n-grams the mislabel check's model reads
MARKUP_SHARE = 0.05              # markup is foreign where at most this share of the lines holds any
_WORD = re.compile(r"\w+", re.UNICODE)
_TAG = re.compile(r"</[A-Za-z][\w:-]*\s*>"                          # a closing tag: </p>
                  r"|<[A-Za-z][\w:-]*\s+[\w:-]+\s*=\s*[\"'][^<>]*>"       # one with an attribute
                  r"|<[A-Za-z][\w:-]*\s*/>")                            # a self-closing one: <br/>
# (a lone <word> is no evidence: chat logs quote their speakers as <nick>)


def _bad_character(line: str) -> str | None:
    """The first character that says the line was damaged (U+FFFD or a control character other than a tab)."""
    for c in line:
        if c == "\ufffd":
            return "the replacement character U+FFFD (text decoded with the wrong encoding)"
        if c != "\t" and unicodedata.category(c) == "Cc":
            return f"a control character (U+{ord(c):04X})"
    return None


def normal_form(line: str) -> str:
    """The line's words in order, case-folded: what a near copy shares with its original."""
    return " ".join(_WORD.findall(line.casefold()))


def degenerate(lines: list[str], faults: Faults, taken: np.ndarray) -> int:
    found = 0
    for i, line in enumerate(lines):
        bad = _bad_character(line)
        reason = f"holds {bad}" if bad else None
        if reason is None and not any(c.isalnum() for c in line):
            reason = "no letter or digit (punctuation, symbols or spaces alone)"
        if reason:
            faults.findings.append(Finding(i, "degenerate", 1.0, reason))
            taken[i] = True
            found += 1
    return found


def duplicates(lines: list[str], faults: Faults, taken: np.ndarray) -> tuple[int, int]:
    """(exact, near) findings: each line whose text, or whose normal form, an earlier line has."""
    first_exact: dict[str, int] = {}
    first_near: dict[str, int] = {}
    exact = near = 0
    for i, line in enumerate(lines):
        key = normal_form(line)
        if not taken[i]:
            if line in first_exact:
                faults.findings.append(Finding(i, "duplicate", 1.0, f"an exact copy of line {first_exact[line] + 1}",
                                               first_exact[line]))
                taken[i] = True
                exact += 1
            elif key and key in first_near:
                faults.findings.append(Finding(i, "duplicate", 0.9, f"the words of line {first_near[key] + 1}, "
                                               f"differing only in case, spacing or punctuation", first_near[key]))
                taken[i] = True
                near += 1
        first_exact.setdefault(line, i)
        if key:
            first_near.setdefault(key, i)
    return exact, near


def surprise(lines: list[str]) -> np.ndarray:
    """(N,) each line's mean surprise in bits per character under an add-one smoothed model of the character pairs
    of all the lines, case-folded (a heading in capitals is not foreign); the start and the end of a line count as
    characters."""
    from collections import Counter

    pairs: Counter = Counter()
    singles: Counter = Counter()
    lines = [line.casefold() for line in lines]
    for line in lines:
        padded = "\x02" + line + "\x03"
        singles.update(padded[:-1])
        pairs.update(zip(padded[:-1], padded[1:]))
    alphabet = len(set(singles) | {"\x03"})
    out = np.empty(len(lines))
    for i, line in enumerate(lines):
        padded = "\x02" + line + "\x03"
        bits = [np.log2((singles[a] + alphabet) / (pairs[(a, b)] + 1)) for a, b in zip(padded[:-1], padded[1:])]
        out[i] = float(np.mean(bits))
    return out


def markup(lines: list[str], faults: Faults, taken: np.ndarray) -> str:
    """Findings for lines holding an HTML/XML tag, where few lines do (scraped text that kept its markup; a verse
    inside tags is still mostly a verse to the character statistics)."""
    holding = [i for i, line in enumerate(lines) if _TAG.search(line)]
    if len(holding) > MARKUP_SHARE * len(lines):
        return f"{len(holding)} line(s) hold markup, more than {MARKUP_SHARE:.0%}: part of the data, not a finding"
    found = 0
    for i in holding:
        if not taken[i]:
            tag = _TAG.search(lines[i]).group(0)
            faults.findings.append(Finding(i, "outlier", 1.0, f"holds markup ({tag[:40]}), which the other lines "
                                           f"do not"))
            taken[i] = True
            found += 1
    return f"{found} line(s) with markup"


def outliers(lines: list[str], faults: Faults, taken: np.ndarray) -> str:
    if len(lines) < MIN_OUTLIER_LINES:
        return f"skipped: fewer than {MIN_OUTLIER_LINES} lines"
    tagged = markup(lines, faults, taken)
    statistics = {"surprise of its characters": (surprise(lines), " bits per character"),
                  "length": (np.array([len(line) for line in lines], float), " characters")}
    found = 0
    for what, (values, unit) in statistics.items():
        z = robust_z(np.log(values + 1.0))
        median = float(np.median(values))
        for i in np.argsort(-z):
            if z[i] <= OUTLIER_Z:
                break
            if not taken[i]:
                faults.findings.append(Finding(int(i), "outlier", float(z[i]), f"unlike the bulk of the data: its "
                                               f"{what} ({values[i]:.3g}{unit}, the median line's {median:.3g}) is "
                                               f"{z[i]:.1f} robust deviations above the median"))
                taken[i] = True
                found += 1
    return f"{tagged}; {found} line(s) above robust z {OUTLIER_Z:g} in the surprise of their characters or their " \
           f"length"


def mislabels(lines: list[str], labels: np.ndarray, class_names, taken: np.ndarray, seed: int,
              say: Callable[[str], None], faults: Faults) -> str:
    if len(lines) > MAX_MISLABEL_LINES:
        return f"skipped: more than {MAX_MISLABEL_LINES:,} lines"
    if len(np.unique(labels)) < 2:
        return "skipped: fewer than two classes"
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=MAX_FEATURES, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, max_features=MAX_FEATURES,
                            sublinear_tf=True)
    x = hstack([words.fit_transform(lines), chars.fit_transform(lines)]).tocsr()
    fitted = cross_fitted(x, labels, np.nonzero(~taken)[0], lambda: LogisticRegression(C=MISLABEL_C, max_iter=1000),
                          seed, say, "mislabel check")
    if fitted is None:
        return "skipped: fewer than two classes with two lines left to learn from"
    probabilities, judged, folds = fitted
    names = class_names or [str(c) for c in range(probabilities.shape[1])]
    for i in judged:
        best, own = int(probabilities[i].argmax()), float(probabilities[i, labels[i]])
        if best != labels[i] and own <= MISLABEL_OWN and probabilities[i, best] >= MISLABEL_SURE:
            faults.findings.append(Finding(int(i), "mislabelled", float(probabilities[i, best]),
                                           f"labelled {names[labels[i]]!r} but reads like {names[best]!r} "
                                           f"({probabilities[i, best]:.0%} against {own:.0%})", suggested=best))
    return f"{folds}-fold cross-fitted logistic regression on word and character n-grams; own label at most " \
           f"{MISLABEL_OWN:g}, another at least {MISLABEL_SURE:g}"


def find_text_faults(lines: list[str], labels=None, class_names=None, seed: int = 0,
                     log: Callable[[str], None] | None = None) -> Faults:
    """Every check on `lines` (labels: one class index per line, or None); a line gets at most one finding."""
    say = log or (lambda text: None)
    faults = Faults([])
    taken = np.zeros(len(lines), bool)
    faults.checked["degenerate"] = f"{degenerate(lines, faults, taken)} line(s) with no letter or digit, or damaged " \
                                   f"characters"
    exact, near = duplicates(lines, faults, taken)
    faults.checked["duplicates"] = f"{exact} exact and {near} near copies (case, spacing and punctuation aside)"
    say("clean: outliers")
    faults.checked["outliers"] = outliers(lines, faults, taken)
    if labels is None:
        faults.checked["mislabels"] = "skipped: the data is unlabelled"
    else:
        faults.checked["mislabels"] = mislabels(lines, np.asarray(labels), class_names, taken, seed, say, faults)
    return faults
