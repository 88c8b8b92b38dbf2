#!/usr/bin/env python3
"""Measures a second-reader setting before it is trained for real.

Five-fold cross-validation on the tuning sets: a model per fold (learnt as
`train_linear.py` learns it, weights pruned and kept in tenths as its file
keeps them), its probabilities beside the rules' verdict combined as
`second::read` does (SURE, PAGING_DOUBT, MIN_KNOWN and the floor), then
accuracy, dangerous misses, triage share and over-ratings. With --heldout,
one model on all tuning rows measured on the held-out sets, for a setting
already chosen:

    cargo run -q -p klaxon-core --example linear_features > F.jsonl
    cargo run -q -p klaxon-core --example linear_features -- --held-out > H.jsonl
    python infra/measure_linear.py F.jsonl --C 1 [--heldout H.jsonl]

--stack also gives the model the rules' verdict as features (tried at the
eighth stop: no better). Requirements: infra/requirements-train.txt.
"""
import argparse
import json
import os
import re

import numpy as np
from sklearn.model_selection import KFold

import train_linear

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read(path):
    return open(os.path.join(ROOT, path)).read()


# Each class's severity, from the built-in tables.
SEV = {}
for name, sev in re.findall(
    r'^\[judgement\.classes\.(\w+)\]\n(?:[^\[\n].*\n)*?severity = "SEV-(\d)"',
    read("shared/policy/judgement.toml"),
    re.M,
):
    SEV[name] = int(sev)
# The combination's thresholds, as `second.rs` has them.
SECOND = read("shared/src/policy/second.rs")
SURE, DOUBT, KNOWN = (
    float(re.search(rf"pub const {k}: \w+ = ([\d.]+);", SECOND).group(1))
    for k in ("SURE", "PAGING_DOUBT", "MIN_KNOWN")
)


def severity(c):
    return int(c[3:]) if c.startswith("sev") else SEV.get(c)


def sev(label):
    return int(label[-1])


def features(stack):
    def of(r):
        f = dict(r["features"])
        if stack:
            f["r:" + r["rules"]["class"]] = 1.0
            f["rs:" + r["rules"]["severity"]] = 1.0
            if r["rules"]["triage"]:
                f["r:triage"] = 1.0
        return f

    return of


def learn(rows, a):
    dv, m = train_linear.fit(rows, a.C, a.min_reports, features(a.stack))
    # As the file keeps them: small weights dropped, the rest in tenths.
    coef = m.coef_.copy()
    coef[np.abs(coef) < a.min_weight] = 0
    m.coef_ = np.round(coef * 10) / 10
    return dv, m


def probabilities(dv, m, rows, a):
    return m.predict_proba(dv.transform([features(a.stack)(r) for r in rows]))


def combine(r, p, classes, a):
    """(severity, needs triage), as `second::read` gives them."""
    rules, triage = sev(r["rules"]["severity"]), r["rules"]["triage"]
    floor = r["rules"]["floor"] and sev(r["rules"]["floor"])
    if len(r["features"]) < KNOWN:  # near enough to `Reading.known`
        return rules, triage
    by = [0.0] * 5
    for c, q in zip(classes, p):
        if severity(c):
            by[severity(c)] += q
    k = max(range(1, 5), key=lambda i: by[i])
    got = k if by[k] >= a.sure and k != rules and (not floor or k <= floor) else rules
    if got >= 3 and not triage and (rules <= 2 or by[1] + by[2] >= a.doubt):
        triage = True
    return got, triage


def figures(rows, readings, a):
    """Right, dangerous, triaged and over-rated counts, then the rules' own right."""
    right = dangerous = triaged = over = rules = 0
    for r, (classes, p) in zip(rows, readings):
        got, triage = combine(r, p, classes, a)
        accept = {sev(x) for x in r["accept"]}
        right += got in accept
        dangerous += max(accept) <= 2 and got >= 3 and not triage
        triaged += triage
        over += min(accept) >= 3 and got <= 2
        rules += sev(r["rules"]["severity"]) in accept
    return right, dangerous, triaged, over, rules


def show(what, rows, f):
    n = len(rows)
    right, dangerous, triaged, over, rules = f
    print(
        f"{what} n={n} rules {rules / n * 100:.1f}% | combined {right / n * 100:.1f}% "
        f"dang {dangerous} triage {triaged / n * 100:.0f}% over {over}"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("features")
    ap.add_argument("--heldout")
    ap.add_argument("--C", type=float, default=train_linear.C)
    ap.add_argument("--min-reports", type=int, default=train_linear.MIN_REPORTS)
    ap.add_argument("--min-weight", type=float, default=train_linear.MIN_WEIGHT)
    ap.add_argument("--sure", type=float, default=SURE)
    ap.add_argument("--doubt", type=float, default=DOUBT)
    ap.add_argument("--stack", action="store_true")
    ap.add_argument("--folds", type=int, default=5)
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.features) if l.strip()]
    assert not any(r["set"].startswith("heldout") for r in rows), "tuning rows only"
    readings = [None] * len(rows)
    for tr, te in KFold(a.folds, shuffle=True, random_state=1).split(np.arange(len(rows))):
        dv, m = learn([rows[i] for i in tr], a)
        for i, p in zip(te, probabilities(dv, m, [rows[i] for i in te], a)):
            readings[i] = (list(m.classes_), p)
    show("CV tuning", rows, figures(rows, readings, a))
    if a.heldout:
        dv, m = learn(rows, a)
        held = [json.loads(l) for l in open(a.heldout) if l.strip()]
        p = probabilities(dv, m, held, a)
        show("HELDOUT", held, figures(held, [(list(m.classes_), q) for q in p], a))


if __name__ == "__main__":
    main()
