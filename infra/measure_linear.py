#!/usr/bin/env python3
"""Measures a second-reader setting before it is trained for real.

Five-fold cross-validation on the tuning sets: a model per fold, its
probabilities beside the rules' verdict combined as `second::read` does
(SURE, PAGING_DOUBT, the CVSS floor), then accuracy, dangerous misses,
triage share and over-ratings. With --heldout, one model on all tuning
rows measured on the held-out sets, for a setting already chosen:

    cargo run -q -p klaxon-core --example linear_features > F.jsonl
    cargo run -q -p klaxon-core --example linear_features -- --held-out > H.jsonl
    python infra/measure_linear.py F.jsonl --C 1 [--heldout H.jsonl]

--stack also gives the model the rules' verdict as features (tried at the
eighth stop: no better). Requirements: infra/requirements-train.txt.
"""
import argparse, json, os, re
import numpy as np
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

SEV = {}
cur = None
for l in open(os.path.join(os.path.dirname(__file__), '..', 'shared', 'policy', 'judgement.toml')):
    m = re.match(r'\[judgement\.classes\.(\w+)\]', l)
    if m: cur = m.group(1); continue
    m = re.match(r'severity = "SEV-(\d)"', l)
    if m and cur: SEV[cur] = int(m.group(1)); cur = None

def sev_of(c):
    if c.startswith('sev'): return int(c[3:])
    return SEV.get(c)

def label(r):
    if r['class'] != 'unclassified': return r['class']
    return 'sev' + str(min(int(a[-1]) for a in r['accept']))

def feats(r, a):
    f = dict(r['features'])
    if a.stack:
        f['r:' + r['rules']['class']] = 1.0
        f['rs:' + r['rules']['severity']] = 1.0
        if r['rules']['triage']: f['r:triage'] = 1.0
    return f

def fit(rows, a):
    seen = {}
    for r in rows:
        for k in feats(r, a): seen[k] = seen.get(k, 0) + 1
    keep = [{k: x for k, x in feats(r, a).items() if seen[k] >= a.min_reports} for r in rows]
    dv = DictVectorizer(); x = dv.fit_transform(keep)
    m = LogisticRegression(C=a.C, max_iter=5000); m.fit(x, [label(r) for r in rows])
    if a.min_weight:
        coef = m.coef_.copy(); coef[np.abs(coef) < a.min_weight] = 0; coef = np.round(coef * 10) / 10; m.coef_ = coef
    return dv, m, keep

def probs(dv, m, rows, a):
    return m.predict_proba(dv.transform([feats(r, a) for r in rows]))

def combine(r, p, classes, a):
    """returns (severity, triage) as second::read does."""
    rs = int(r['rules']['severity'][-1]); tri = r['rules']['triage']
    floor = r['rules']['floor']; floor = int(floor[-1]) if floor else None
    known = len(r['features'])  # near enough to `Reading.known`
    if known < 3: return rs, tri
    by = [0.0] * 5
    for c, q in zip(classes, p):
        s = sev_of(c)
        if s: by[s] += q
    k = max(range(1, 5), key=lambda i: by[i]); q = by[k]
    sev = rs
    if q >= a.sure and k != rs and (floor is None or k <= floor): sev = k
    paging = by[1] + by[2]
    if sev >= 3 and not tri and (rs <= 2 or paging >= a.doubt): tri = True
    return sev, tri

def score(rows, P, classes, a):
    right = dang = tri = over = 0
    for r, p in zip(rows, P):
        s, t = combine(r, p, classes, a)
        acc = {int(x[-1]) for x in r['accept']}
        right += s in acc
        dang += (max(acc) <= 2 and s >= 3 and not t)
        tri += t
        over += (min(acc) >= 3 and s <= 2)
    return right, dang, tri, over

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('features'); ap.add_argument('--heldout')
    ap.add_argument('--C', type=float, default=0.5); ap.add_argument('--min-reports', type=int, default=10)
    ap.add_argument('--min-weight', type=float, default=0.3)
    ap.add_argument('--sure', type=float, default=0.7); ap.add_argument('--doubt', type=float, default=0.25)
    ap.add_argument('--stack', action='store_true'); ap.add_argument('--folds', type=int, default=5)
    ap.add_argument('--exclude', default='')
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.features)]
    rows = [r for r in rows if r['set'] not in a.exclude.split(',')]
    assert not any(r['set'].startswith('heldout') for r in rows)
    # rules alone
    ra = sum(int(r['rules']['severity'][-1]) in {int(x[-1]) for x in r['accept']} for r in rows)
    P = [None] * len(rows)
    for tr, te in KFold(a.folds, shuffle=True, random_state=1).split(np.arange(len(rows))):
        dv, m, _ = fit([rows[i] for i in tr], a)
        pp = probs(dv, m, [rows[i] for i in te], a)
        for i, p in zip(te, pp): P[i] = (list(m.classes_), p)
    res = [0, 0, 0, 0]
    for r, (cl, p) in zip(rows, P):
        x = score([r], [p], cl, a)
        res = [u + v for u, v in zip(res, x)]
    n = len(rows)
    print(f"CV tuning n={n} rules {ra/n*100:.1f}% | combined {res[0]/n*100:.1f}% dang {res[1]} triage {res[2]/n*100:.0f}% over {res[3]}")
    if a.heldout:
        dv, m, keep = fit(rows, a)
        H = [json.loads(l) for l in open(a.heldout)]
        pp = probs(dv, m, H, a)
        hr = sum(int(r['rules']['severity'][-1]) in {int(x[-1]) for x in r['accept']} for r in H)
        x = score(H, pp, list(m.classes_), a)
        nz = int((np.abs(m.coef_) > 0).any(axis=0).sum())
        print(f"HELDOUT n={len(H)} rules {hr/len(H)*100:.1f}% | combined {x[0]/len(H)*100:.1f}% dang {x[1]} triage {x[2]/len(H)*100:.0f}% over {x[3]}  features {nz}")

main()
