#!/usr/bin/python3
"""Reference values for Sightline's skew analysis, computed with numpy/scipy.

Run with Debian's Python (it has scipy):
    /usr/bin/python3 test/integration/skew/reference.py > test/integration/skew/reference-cases.json

distribution  per case: a training column and a serving column (None = NULL) and, as DESIGN.md
              "Statistics" defines them,
              js      scipy.spatial.distance.jensenshannon(p, q, base=2) over the bins: numeric =
                      deduplicated np.quantile(training, k/10, method='linear'), k = 1..9, bins
                      (-inf, e1], (e1, e2], ..., (e_last, inf); categorical = categories of T u S
              linf    max |p - q| over the same bins (reported for categorical features)
              p_value scipy.stats.chi2_contingency([counts_T, counts_S], correction=False) over
                      the bins (bins empty on both sides dropped; one bin left: 1.0)
              skew    metric (linf categorical, js numeric) >= 0.1, and, unless both samples
                      exceed 1000 values, p_value < 0.05
rows          per case: training and serving rows (key, x numeric, c categorical), compared by
              plain Python loops: one row per key (the first after sorting by (x, c), NULLs last),
              numbers equal when |t - s| <= 1e-6 + 1e-6 * max(|t|, |s|) (math.isclose's rule with
              both tolerances added), missing equals missing only.
Deterministic: every case draws from its own seeded generator.
"""
import json
import math
import sys

import numpy as np
import scipy
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

DECILES = np.array([k / 10 for k in range(1, 10)])


def rng(seed):
    return np.random.default_rng(seed)


def round6(values):
    return [None if v is None else float(round(float(v), 6)) for v in values]


def with_nulls(values, every):
    return [None if i % every == every - 1 else v for i, v in enumerate(values)]


def bins_numeric(t, s):
    edges = np.unique(np.quantile(np.array(t, dtype=float), DECILES, method="linear"))
    def count(values):
        idx = np.searchsorted(edges, np.array(values, dtype=float), side="left")  # number of edges < v
        return np.bincount(idx, minlength=len(edges) + 1)
    return count(t), count(s)


def bins_categorical(t, s):
    cats = sorted(set(t) | set(s))
    return (np.array([t.count(c) for c in cats]), np.array([s.count(c) for c in cats]))


def p_value(ct, cs):
    keep = (ct + cs) > 0
    ct, cs = ct[keep], cs[keep]
    if len(ct) < 2:
        return 1.0
    return float(chi2_contingency(np.array([ct, cs]), correction=False)[1])


def distribution_case(name, kind, training, serving):
    t = [v for v in training if v is not None]
    s = [v for v in serving if v is not None]
    expected = {
        "n_training": len(t), "n_serving": len(s),
        "missing_training": (len(training) - len(t)) / len(training) if training else 0.0,
        "missing_serving": (len(serving) - len(s)) / len(serving) if serving else 0.0,
    }
    if not t or not s:
        expected.update({"js": None, "linf": None, "p_value": None, "score": 0.0, "skew": False})
    else:
        ct, cs = bins_numeric(t, s) if kind == "numeric" else bins_categorical(t, s)
        p, q = ct / ct.sum(), cs / cs.sum()
        js = float(jensenshannon(p, q, base=2))
        linf = float(np.max(np.abs(p - q)))
        pv = p_value(ct, cs)
        score = linf if kind == "categorical" else js
        significant = (len(t) > 1000 and len(s) > 1000) or pv < 0.05
        expected.update({"js": js, "linf": linf, "p_value": pv, "score": score, "skew": bool(significant and score >= 0.1)})
    return {"name": name, "kind": kind, "training": training, "serving": serving, "expected": expected}


def distribution_cases():
    out = []
    r = rng(1)
    out.append(distribution_case("normal vs shifted normal (large)", "numeric",
                                 round6(r.normal(0, 1, 1200)), round6(r.normal(0.6, 1, 1100))))
    r = rng(2)
    out.append(distribution_case("same normal (large): no skew", "numeric",
                                 round6(r.normal(5, 2, 1500)), round6(r.normal(5, 2, 1200))))
    r = rng(3)
    out.append(distribution_case("integers with heavy ties (repeated edges)", "numeric",
                                 [float(v) for v in r.choice([0, 0, 0, 0, 1, 1, 2, 5], 1200)],
                                 [float(v) for v in r.choice([0, 1, 2, 2, 3, 5], 1100)]))
    out.append(distribution_case("constant training column", "numeric",
                                 [3.0] * 1500, [float(v) for v in rng(4).choice([2.0, 3.0, 4.0], 1200)]))
    out.append(distribution_case("the serving bug: one served value", "numeric",
                                 round6(rng(5).beta(2, 6, 1200)), [0.218324] * 1100))
    r = rng(6)
    out.append(distribution_case("small samples, same distribution: noisy distance, not significant", "numeric",
                                 round6(r.normal(0, 1, 40)), round6(r.normal(0, 1, 30))))
    r = rng(7)
    out.append(distribution_case("small samples, far apart: significant", "numeric",
                                 round6(r.normal(0, 1, 60)), round6(r.normal(3, 1, 50))))
    r = rng(8)
    out.append(distribution_case("NULLs on both sides", "numeric",
                                 with_nulls(round6(r.normal(0, 1, 1500)), 7), with_nulls(round6(r.normal(0.2, 1.3, 1400)), 5)))
    out.append(distribution_case("serving all NULL", "numeric", round6(rng(9).normal(0, 1, 100)), [None] * 20))
    r = rng(10)
    cats = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    out.append(distribution_case("categorical: a new category and NULLs", "categorical",
                                 with_nulls([str(v) for v in r.choice(cats[:6], 1500)], 9),
                                 with_nulls([str(v) for v in r.choice(cats, 1300, p=[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.4])], 11)))
    r = rng(11)
    out.append(distribution_case("categorical: shares moved below the threshold", "categorical",
                                 [str(v) for v in r.choice(["a", "b", "c"], 1500, p=[0.5, 0.3, 0.2])],
                                 [str(v) for v in r.choice(["a", "b", "c"], 1200, p=[0.45, 0.33, 0.22])]))
    out.append(distribution_case("categorical: a single category on both sides", "categorical", ["x"] * 1200, ["x"] * 1100))
    return out


def isclose(t, s):
    return abs(t - s) <= 1e-6 + 1e-6 * max(abs(t), abs(s))


def sort_key(row):
    _, x, c = row
    return (x is None, x if x is not None else 0.0, c is None, c if c is not None else "")


def rows_case(name, training, serving, examples=3):
    def one_per_key(rows):
        by_key, duplicates, missing = {}, 0, 0
        for row in rows:
            if row[0] is None:
                missing += 1
                continue
            by_key.setdefault(row[0], []).append(row)
        kept = {}
        for key, group in by_key.items():
            group.sort(key=sort_key)
            kept[key] = group[0]
            duplicates += len(group) - 1
        return kept, duplicates, missing

    t, dup_t, miss_t = one_per_key(training)
    s, dup_s, miss_s = one_per_key(serving)
    keys = sorted(set(t) & set(s))
    features = {}
    for i, (feature, numeric) in enumerate([("x", True), ("c", False)], start=1):
        mismatched, diffs, missing_t, missing_s = [], [], 0, 0
        for k in keys:
            a, b = t[k][i], s[k][i]
            missing_t += a is None
            missing_s += b is None
            if a is None or b is None:
                differ = (a is None) != (b is None)
            else:
                differ = (not isclose(a, b)) if numeric else a != b
                if numeric:
                    diffs.append(abs(a - b))
            if differ:
                mismatched.append({"key": k, "training": a, "serving": b})
        entry = {
            "mismatches": len(mismatched),
            "mismatch_rate": len(mismatched) / len(keys) if keys else 0.0,
            "missing_training": missing_t / len(keys) if keys else 0.0,
            "missing_serving": missing_s / len(keys) if keys else 0.0,
            "examples": mismatched[:examples],
        }
        if numeric:
            entry["mean_abs_diff"] = math.fsum(diffs) / len(diffs) if diffs else None
            entry["max_abs_diff"] = max(diffs) if diffs else None
        features[feature] = entry
    expected = {
        "rows_training": len(training), "rows_serving": len(serving),
        "matched": len(keys), "only_training": len(t) - len(keys), "only_serving": len(s) - len(keys),
        "duplicates_training": dup_t, "duplicates_serving": dup_s,
        "missing_key_training": miss_t, "missing_key_serving": miss_s,
        "features": features,
    }
    return {"name": name, "training": training, "serving": serving, "examples": examples, "expected": expected}


def rows_cases():
    hand = rows_case(
        "tolerance edges, missing values, duplicates, NULL keys, one-sided keys",
        training=[
            ["k01", 1.0, "a"], ["k02", 1000.0, "b"], ["k03", 1000.0, "c"], ["k04", 0.0, "d"],
            ["k05", None, "e"], ["k06", None, None], ["k07", 2.0, "g"], ["k08", -5.0, "h"],
            ["k09", 7.0, "i"], ["k09", 6.0, "i"], ["k10", 1e-7, "j"], [None, 1.0, "z"], ["k11", 3.0, "only-t"],
        ],
        serving=[
            ["k01", 1.0000005, "a"], ["k02", 1000.0005, "b"], ["k03", 1000.002, "C"], ["k04", 2e-6, "d"],
            ["k05", None, "e"], ["k06", 1.0, None], ["k07", None, "g"], ["k08", -5.0, None],
            ["k09", 6.0, "i"], ["k10", -1e-7, "j"], ["k10", 9.0, "j"], [None, 2.0, "y"], [None, 3.0, "x"], ["k12", 1.0, "only-s"],
        ],
        examples=3,
    )
    r = rng(20)
    n = 400
    keys = [f"r{i:04d}" for i in range(n)]
    xs = [float(round(v, 6)) for v in r.normal(10, 3, n)]
    cs = [str(v) for v in r.choice(["u", "v", "w"], n)]
    training = [[k, x, c] for k, x, c in zip(keys, xs, cs)]
    serving = []
    for i, (k, x, c) in enumerate(zip(keys, xs, cs)):
        if i % 10 == 3:
            continue  # served side lost some rows
        x2 = x + 0.25 if i % 4 == 0 else x + (1e-9 if i % 4 == 1 else 0.0)
        c2 = "w" if i % 13 == 0 else c
        serving.append([k, x2, c2])
    serving += [[f"s{i:03d}", 1.0, "u"] for i in range(25)]
    order = r.permutation(len(serving))
    serving = [serving[i] for i in order]
    generated = rows_case("generated: a quarter shifted by 0.25, sub-tolerance noise, some categories flipped", training, serving, examples=5)
    return [hand, generated]


json.dump({
    "generator": f"test/integration/skew/reference.py, numpy {np.__version__}, scipy {scipy.__version__}",
    "distribution": distribution_cases(),
    "rows": rows_cases(),
}, sys.stdout, separators=(",", ":"), allow_nan=False)
sys.stdout.write("\n")
