#!/usr/bin/env python3
"""Trains the severity engine's second reader (shared/policy/linear.tsv).

A multinomial logistic regression over the features `assess` reads
(stems, title stems, stem pairs, the rules' facts), learnt from every
labelled set that is not held out. The features come from the engine
itself, so training and judging agree:

    cargo run -q -p klaxon-core --example linear_features > /tmp/features.jsonl
    python infra/train_linear.py /tmp/features.jsonl shared/policy/linear.tsv

`--folds 5` also prints each fold's accuracy of the model alone.
Requirements: infra/requirements-train.txt.
"""
import argparse
import json

import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

# Regularisation (inverse strength) and pruning, chosen by cross-validation
# on the tuning sets (infra/measure_linear.py, docs/severity.md).
C = 0.7
MIN_REPORTS = 10  # a feature seen in fewer reports is dropped
MIN_WEIGHT = 0.3  # smaller weights are dropped from the file
# Weights are written in tenths, as whole numbers: the file is smaller.


def label(row):
    if row["class"] != "unclassified":
        return row["class"]
    return "sev" + str(min(int(a[-1]) for a in row["accept"]))


def fit(rows, c=C, min_reports=MIN_REPORTS, features=lambda r: r["features"]):
    """The vectoriser and model learnt from `rows` (`infra/measure_linear.py`
    passes other settings and features)."""
    seen = {}
    for r in rows:
        for f in features(r):
            seen[f] = seen.get(f, 0) + 1
    keep = [{f: x for f, x in features(r).items() if seen[f] >= min_reports} for r in rows]
    dv = DictVectorizer()
    x = dv.fit_transform(keep)
    m = LogisticRegression(C=c, max_iter=5000)
    m.fit(x, [label(r) for r in rows])
    return dv, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("features")
    ap.add_argument("out")
    ap.add_argument("--folds", type=int, default=0)
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.features) if l.strip()]
    assert not any(r["set"].startswith("heldout") for r in rows), "held-out sets are never trained on"
    if a.folds:
        idx = np.arange(len(rows))
        for k, (tr, te) in enumerate(KFold(a.folds, shuffle=True, random_state=1).split(idx)):
            dv, m = fit([rows[i] for i in tr])
            pred = m.predict(dv.transform([rows[i]["features"] for i in te]))
            right = sum(p == label(rows[i]) for p, i in zip(pred, te))
            print(f"fold {k}: class right {right}/{len(te)}")
    dv, m = fit(rows)
    names = dv.get_feature_names_out()
    lines = [
        "# The second reader's weights, learnt by infra/train_linear.py from the",
        "# labelled sets that are not held out; do not edit by hand.",
        "classes\t" + ",".join(m.classes_),
        "bias\t" + ",".join(f"{b:.2f}" for b in m.intercept_),
    ]
    kept = 0
    for j, name in enumerate(names):
        ws = [(c, m.coef_[c, j]) for c in range(len(m.classes_))]
        ws = [(c, int(round(w * 10))) for c, w in ws if abs(w) >= MIN_WEIGHT]
        ws = [(c, w) for c, w in ws if w != 0]
        if not ws or "\t" in name or "\n" in name:
            continue
        kept += 1
        lines.append(name + "\t" + " ".join(f"{c}:{w}" for c, w in ws))
    open(a.out, "w").write("\n".join(lines) + "\n")
    print(f"{len(rows)} reports, {len(m.classes_)} classes, {kept} of {len(names)} features kept -> {a.out}")


if __name__ == "__main__":
    main()
