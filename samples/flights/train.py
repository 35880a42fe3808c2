#!/usr/bin/env python3
"""Training pipeline of the flight-delay sample: raw -> clean -> split -> lookups -> features ->
train -> export -> verify -> baseline -> evaluate.

    /usr/bin/python3 samples/flights/train.py            # everything, v1 and v2 (~70 s on 2 cores)

Each step is a function that reads file artifacts and writes file artifacts: intermediate ones
under samples/flights/.work/ (git-ignored), final ones into the committed folders (models/,
baselines/, reports/, route_stats.json, airports.json). Every step appends one record (inputs and
outputs with sha256, params, seconds) to .work/pipeline-runs.jsonl, so the run can be replayed as
lineage. Deterministic: splits and samples use md5(flight_id), the solver is deterministic and
seeded, nothing depends on wall-clock time.

Needs Debian's Python (sklearn, numpy, pandas, onnx) and Node for the two Parquet steps
(scripts/extract.mjs, scripts/write-baseline.mjs) and the ONNX parity check (scripts/verify-onnx.mjs).
Capture the traffic first (node samples/flights/scripts/make-traffic.mjs) — not needed to train,
only to cross-check the evaluation.
"""

import argparse
import csv
import hashlib
import json
import os
import pickle
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
WORK = os.path.join(HERE, ".work")
sys.path.insert(0, HERE)
import features as F  # noqa: E402  (the training-path feature code, one function per feature)

sys.path.insert(0, os.path.join(REPO_ROOT, "clients", "python"))
import sightline  # noqa: E402  (Sightline's stdlib-only SDK: each step below is a lineage run)
import inspect  # noqa: E402

SEED = 20010101
RAW_PARQUET = os.path.join(REPO_ROOT, "node_modules", "vega-datasets", "data", "flights-3m.parquet")
LINEAGE_FILE = os.path.join(HERE, "lineage", "pipeline-runs.jsonl")  # committed; the demo ingests it

# Training windows. v2 is a plain retrain with March added; the lookup tables (route_stats.json,
# airports.json) are fit once on v1's training split and frozen, so both models read the same
# committed tables at serving time and the only difference between v1 and v2 is the weights.
VERSIONS = {
    "v1": {"months": [1, 2], "window": "2001-01-01..2001-02-28"},
    "v2": {"months": [1, 2, 3], "window": "2001-01-01..2001-03-31"},
}
LOOKUP_VERSION = "v1"
EVAL_MONTHS = [4, 5, 6]
TRAFFIC_PER_MONTH = 20_000  # same rule as scripts/make-traffic.mjs: smallest md5(flight_id) per month
GOLDEN_ROWS = 5_000  # the next 5,000 April flights by md5

HOLDOUT_BUCKETS = 10  # 1 in 10 flights (by md5) is held out of training
TOP_K_AIRPORTS = 40  # origins/destinations kept as their own category; the rest become OTHER
PRIOR_WEIGHT = 50  # pseudo-flights at the global rate added to every route / origin-hour group
THRESHOLD = 0.5
BASELINE_ROWS = 100_000
PARITY_ROWS = 5_000

NUMERIC = ["dep_hour", "distance", "route_delay_rate", "origin_hour_delay_rate"]
CATEGORICAL = ["day_of_week", "origin", "destination"]
assert sorted(NUMERIC + CATEGORICAL) == sorted(F.FEATURE_NAMES)
LABEL = "is_delayed"


# --- plumbing ---------------------------------------------------------------------------------


def work(*parts):
    return os.path.join(WORK, *parts)


def sample_key(flight_id):
    """md5 hex of the flight id: DuckDB's md5() gives the same string (see scripts/flights-sql.mjs)."""
    return hashlib.md5(flight_id.encode("ascii")).hexdigest()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def rel(path):
    return os.path.relpath(path, REPO_ROOT)


def artifact_kind(path):
    """Lineage kind of a pipeline file (`.pkl`/`.onnx` are models, the SDK's default otherwise)."""
    name = os.path.basename(path)
    if name.endswith("_features.csv"):
        return "features"
    if name.endswith(("metrics.json", ".sightline.json")) or name.startswith("parity"):
        return "report"
    return None


def run_step(name, fn, inputs, outputs, params=None, code=None):
    """Run one pipeline step as a Sightline lineage run: inputs are hashed before the step,
    outputs after, so the daemon links runs by content (a model it serves → this export run →
    the runs upstream of it → the raw file). `code` is the step function (for lambdas)."""
    component, _, version = name.partition(" ")  # "split v1" -> component split, param version v1
    params = dict(params or {}, **({"version": version} if version else {}))
    target = code or fn
    location = (inspect.getsourcefile(target), target.__code__.co_firstlineno)
    with sightline.run(component, params=params, code_location=location) as r:
        for p in inputs:
            r.input(p, kind=artifact_kind(p))
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        for p in outputs:
            r.output(p, kind=artifact_kind(p))
        r.metric("seconds", round(seconds, 2))
    record = {
        "step": name,
        "params": params,
        "inputs": [{"path": rel(p), "sha256": sha256(p)} for p in inputs],
        "outputs": [{"path": rel(p), "sha256": sha256(p)} for p in outputs],
        "seconds": round(seconds, 2),
    }
    with open(work("pipeline-runs.jsonl"), "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
    print(f"[{name}] {seconds:.1f} s -> {', '.join(rel(p) for p in outputs)}", flush=True)
    return seconds


def collect_lineage():
    """The runs the SDK spooled (no daemon runs during training) become one committed file that
    `npm run demo` hands to the daemon's spool, so served predictions trace back to this run."""
    spool = os.path.join(work("lineage"), "spool")
    files = sorted(f for f in os.listdir(spool) if f.endswith(".jsonl")) if os.path.isdir(spool) else []
    os.makedirs(os.path.dirname(LINEAGE_FILE), exist_ok=True)
    with open(LINEAGE_FILE, "w", encoding="utf-8") as out:
        for f in files:
            with open(os.path.join(spool, f), encoding="utf-8") as src:
                out.write(src.read())
            os.remove(os.path.join(spool, f))
    print(f"lineage: {len(files)} runs -> {rel(LINEAGE_FILE)}")


def node(script, *args):
    subprocess.run(["node", os.path.join(HERE, "scripts", script), *args], cwd=REPO_ROOT, check=True)


def clean_csv(month):
    return work("clean", f"2001-{month:02d}.csv")


def read_csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


def write_table_json(path, obj):
    """Lookup tables as reviewable JSON: top-level keys in order, one table entry per line, sorted,
    so a diff of route_stats.json after retraining shows which routes changed."""
    lines = []
    for i, (key, value) in enumerate(obj.items()):
        comma = "," if i < len(obj) - 1 else ""
        if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
            entries = [f"  {json.dumps(k)}: {json.dumps(value[k], separators=(', ', ': '))}" for k in sorted(value)]
            lines.append(f" {json.dumps(key)}: {{\n" + ",\n".join(entries) + f"\n }}{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{comma}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + "\n".join(lines) + "\n}\n")


def write_json(path, obj, indent=None):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


# --- steps ------------------------------------------------------------------------------------


def step_raw():
    """Pin the raw input: the vega-datasets parquet as installed from npm."""
    write_json(work("raw.json"), {"path": rel(RAW_PARQUET), "bytes": os.path.getsize(RAW_PARQUET)}, indent=2)


def step_clean():
    """Raw parquet -> one cleaned CSV per month (DuckDB in Node; rules in scripts/flights-sql.mjs)."""
    node("extract.mjs", "--out", work("clean"))


def step_split(version):
    """Rows of the training window -> train / holdout by md5(flight_id) (not by position: the file
    is ordered by time, a positional split would hold out the last days only)."""
    cfg = VERSIONS[version]
    os.makedirs(work(version), exist_ok=True)
    fields = ["flight_id", "date", "origin", "destination", "distance", "delay", LABEL]
    with open(work(version, "train_raw.csv"), "w", newline="", encoding="utf-8") as ft, open(
        work(version, "holdout_raw.csv"), "w", newline="", encoding="utf-8"
    ) as fh:
        wt, wh = csv.DictWriter(ft, fields), csv.DictWriter(fh, fields)
        wt.writeheader()
        wh.writeheader()
        for month in cfg["months"]:
            for row in read_csv_rows(clean_csv(month)):
                holdout = int(sample_key(row["flight_id"])[:8], 16) % HOLDOUT_BUCKETS == 0
                (wh if holdout else wt).writerow(row)


def step_lookups():
    """Fit the lookup tables on the training split only (the holdout must not see its own labels):
    counts per origin>destination route and per origin|hour, the global rate, and the top-K airports."""
    routes, origin_hour, origins, destinations = {}, {}, {}, {}
    n_all = delayed_all = 0
    for row in read_csv_rows(work(LOOKUP_VERSION, "train_raw.csv")):
        y = int(row[LABEL])
        o, d = F._airport(row["origin"]), F._airport(row["destination"])
        for table, key in (
            (routes, F._route_key(o, d)),
            (origin_hour, F._origin_hour_key(o, F.dep_hour(row))),
        ):
            c = table.setdefault(key, {"n": 0, "delayed": 0})
            c["n"] += 1
            c["delayed"] += y
        origins[o] = origins.get(o, 0) + 1
        destinations[d] = destinations.get(d, 0) + 1
        n_all += 1
        delayed_all += y

    def top(counts):
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return sorted(code for code, _ in ranked[:TOP_K_AIRPORTS])

    window = VERSIONS[LOOKUP_VERSION]["window"]
    write_table_json(
        F.ROUTE_STATS_PATH,
        {
            "description": "Delayed-departure counts (delay > 15 min) of the training split, "
            "for route_delay_rate and origin_hour_delay_rate. Rates are smoothed in the feature "
            "code: (delayed + prior_weight * global_rate) / (n + prior_weight).",
            "window": window,
            "prior_weight": PRIOR_WEIGHT,
            "global": {"n": n_all, "delayed": delayed_all},
            "routes": routes,
            "origin_hour": origin_hour,
        },
    )
    write_table_json(
        F.AIRPORTS_PATH,
        {
            "description": f"Top {TOP_K_AIRPORTS} origins and destinations by flights in the training "
            "split; other airports map to the category OTHER.",
            "window": window,
            "origin": top(origins),
            "destination": top(destinations),
        },
    )


def _feature_table(raw_rows, out_path, lookups):
    with open(out_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["flight_id", *F.FEATURE_NAMES, LABEL])
        for raw in raw_rows:
            feats = F.compute_features(raw, lookups)
            w.writerow([raw["flight_id"], *(feats[name] for name in F.FEATURE_NAMES), raw[LABEL]])


def step_features(version):
    """Clean rows -> feature table, with the same features.py a batch job would use."""
    lookups = F.load_lookups()
    for part in ("train", "holdout"):
        _feature_table(read_csv_rows(work(version, f"{part}_raw.csv")), work(version, f"{part}_features.csv"), lookups)


def step_eval_features():
    """Features of the held-out months (April-June) for evaluation."""
    lookups = F.load_lookups()
    os.makedirs(work("eval"), exist_ok=True)
    for month in EVAL_MONTHS:
        _feature_table(read_csv_rows(clean_csv(month)), work("eval", f"2001-{month:02d}_features.csv"), lookups)


def load_features(path):
    # round_trip: parse floats exactly as Python wrote them (pandas' default parser can be 1 ulp off).
    return pd.read_csv(path, dtype={c: str for c in ["flight_id", *CATEGORICAL]}, float_precision="round_trip")


def categories():
    airports = F.load_lookups()["airports"]
    return [
        list(F.DAY_NAMES),
        sorted(airports["origin"]) + [F.OTHER],
        sorted(airports["destination"]) + [F.OTHER],
    ]


def build_model():
    # Logistic regression on standardised numerics + one-hot categoricals: small, fast to train on
    # two cores, and exportable to ONNX with a handful of standard operators.
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMERIC),
            ("cat", OneHotEncoder(categories=categories(), handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    clf = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000, random_state=SEED)
    return Pipeline([("pre", pre), ("clf", clf)])


def classification_metrics(y, p):
    label = (p >= THRESHOLD).astype(int)
    return {
        "rows": int(len(y)),
        "positive_rate": round(float(np.mean(y)), 6),
        "predicted_positive_rate": round(float(np.mean(label)), 6),
        "roc_auc": round(float(roc_auc_score(y, p)), 6),
        "accuracy": round(float(accuracy_score(y, label)), 6),
        # what "always on time" scores: the accuracy bar at a 20% base rate
        "majority_class_accuracy": round(float(max(np.mean(y), 1 - np.mean(y))), 6),
        "log_loss": round(float(log_loss(y, p)), 6),
    }


def step_train(version):
    train = load_features(work(version, "train_features.csv"))
    holdout = load_features(work(version, "holdout_features.csv"))
    model = build_model()
    t0 = time.perf_counter()
    model.fit(train[F.FEATURE_NAMES], train[LABEL])
    fit_seconds = time.perf_counter() - t0
    p = model.predict_proba(holdout[F.FEATURE_NAMES])[:, 1]
    with open(work(version, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    write_json(
        work(version, "train_metrics.json"),
        {
            "train_rows": int(len(train)),
            "holdout": classification_metrics(holdout[LABEL].to_numpy(), p),
            "fit_seconds": round(fit_seconds, 2),
            "iterations": int(model.named_steps["clf"].n_iter_[0]),
        },
        indent=2,
    )


def model_card(version, train_metrics):
    cfg = VERSIONS[version]
    feats = [
        {"name": n, "kind": "numeric", "dtype": "float32"}
        if n in NUMERIC
        else {"name": n, "kind": "categorical", "dtype": "string"}
        for n in F.FEATURE_NAMES
    ]
    h = train_metrics["holdout"]
    return {
        "name": "flights-delay",
        "version": version,
        "task": "binary_classification",
        "features": feats,
        "label": {"name": LABEL, "definition": "departure delay > 15 minutes", "positive": 1},
        "outputs": {"probability": "probability", "label": "label"},
        "slice_attributes": ["origin", "destination", "day_of_week", "dep_hour", "distance"],
        "threshold": THRESHOLD,
        "training": {
            "window": cfg["window"],
            "rows": train_metrics["train_rows"],
            "metrics": {"holdout_auc": h["roc_auc"], "holdout_accuracy": h["accuracy"]},
            "holdout_rows": h["rows"],
            "algorithm": "sklearn LogisticRegression(C=1.0, lbfgs) on StandardScaler + OneHotEncoder",
            "lookups": {"route_stats": "samples/flights/route_stats.json", "airports": "samples/flights/airports.json",
                        "window": VERSIONS[LOOKUP_VERSION]["window"]},
            "command": "/usr/bin/python3 samples/flights/train.py",
        },
        "feature_code": {"training": "samples/flights/features.py", "serving": "samples/flights/serving/features.ts"},
    }


def to_onnx(model, card):
    """The fitted sklearn pipeline as an ONNX graph, built by hand with onnx.helper.

    One graph input per feature, [N, 1]; numerics float32, categoricals strings one-hot encoded in
    the graph (ai.onnx.ml OneHotEncoder, zeros=1: an unseen category gives an all-zero row, as
    sklearn's handle_unknown="ignore" does). Then (x - mean) / scale, x @ w + b, sigmoid.
    """
    pre, clf = model.named_steps["pre"], model.named_steps["clf"]
    scaler = pre.named_transformers_["num"]
    encoder = pre.named_transformers_["cat"]
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731

    inputs = [
        helper.make_tensor_value_info(n, TensorProto.FLOAT if n in NUMERIC else TensorProto.STRING, ["N", 1])
        for n in F.FEATURE_NAMES
    ]
    init = [
        numpy_helper.from_array(f32(scaler.mean_.reshape(1, -1)), "num_mean"),
        numpy_helper.from_array(f32(scaler.scale_.reshape(1, -1)), "num_scale"),
        numpy_helper.from_array(f32(clf.coef_.reshape(-1, 1)), "coef"),
        numpy_helper.from_array(f32(clf.intercept_.reshape(1)), "intercept"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "flat_shape"),
        numpy_helper.from_array(np.array(THRESHOLD, dtype=np.float32), "threshold"),
    ]
    nodes = [
        helper.make_node("Concat", NUMERIC, ["num_raw"], axis=1, name="concat_numeric"),
        helper.make_node("Sub", ["num_raw", "num_mean"], ["num_centered"], name="scaler_sub"),
        helper.make_node("Div", ["num_centered", "num_scale"], ["num_scaled"], name="scaler_div"),
    ]
    blocks = ["num_scaled"]
    value_info = []  # onnx's shape inference has no rule for ai.onnx.ml OneHotEncoder: declare it
    for name, cats in zip(CATEGORICAL, encoder.categories_):
        value_info.append(helper.make_tensor_value_info(f"{name}_onehot3d", TensorProto.FLOAT, ["N", 1, len(cats)]))
        nodes += [
            helper.make_node("OneHotEncoder", [name], [f"{name}_onehot3d"], domain="ai.onnx.ml",
                             cats_strings=[str(c) for c in cats], zeros=1, name=f"onehot_{name}"),
            # [N, 1, K] -> [N, K]
            helper.make_node("Flatten", [f"{name}_onehot3d"], [f"{name}_onehot"], axis=1, name=f"flatten_{name}"),
        ]
        blocks.append(f"{name}_onehot")
    nodes += [
        helper.make_node("Concat", blocks, ["x"], axis=1, name="concat_all"),
        helper.make_node("MatMul", ["x", "coef"], ["logit_nowb"], name="linear"),
        helper.make_node("Add", ["logit_nowb", "intercept"], ["logit"], name="bias"),
        helper.make_node("Sigmoid", ["logit"], ["probability_2d"], name="sigmoid"),
        helper.make_node("Reshape", ["probability_2d", "flat_shape"], ["probability"], name="to_vector"),
        helper.make_node("GreaterOrEqual", ["probability", "threshold"], ["is_positive"], name="threshold_cmp"),
        helper.make_node("Cast", ["is_positive"], ["label"], to=TensorProto.INT64, name="to_label"),
    ]
    outputs = [
        helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N"]),
        helper.make_tensor_value_info("label", TensorProto.INT64, ["N"]),
    ]
    graph = helper.make_graph(nodes, f"flights_delay_{card['version']}", inputs, outputs, init, value_info=value_info)
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)],
        producer_name="sightline-samples-flights",
        producer_version="1",
        doc_string=f"P(departure delay > 15 min); logistic regression, training window {card['training']['window']}",
    )
    m.model_version = int(card["version"].lstrip("v"))
    helper.set_model_props(m, {"sightline.card": json.dumps(card, separators=(",", ":"))})
    onnx.checker.check_model(m, full_check=True)
    return m


def step_export(version):
    with open(work(version, "model.pkl"), "rb") as f:
        model = pickle.load(f)
    with open(work(version, "train_metrics.json"), encoding="utf-8") as f:
        train_metrics = json.load(f)
    card = model_card(version, train_metrics)
    os.makedirs(os.path.join(HERE, "models"), exist_ok=True)
    onnx.save(to_onnx(model, card), os.path.join(HERE, "models", f"flights-delay-{version}.onnx"))
    write_json(os.path.join(HERE, "models", f"flights-delay-{version}.sightline.json"), card, indent=2)

    # Rows + sklearn's probabilities for the ONNX parity check in onnxruntime-node (step verify).
    holdout = load_features(work(version, "holdout_features.csv"))
    holdout["_key"] = holdout["flight_id"].map(sample_key)
    sample = holdout.sort_values("_key").head(PARITY_ROWS)
    proba = model.predict_proba(sample[F.FEATURE_NAMES])[:, 1]
    with open(work(version, "parity.jsonl"), "w", encoding="utf-8") as f:
        for rec, p in zip(sample[["flight_id", *F.FEATURE_NAMES]].to_dict("records"), proba):
            rec = {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
            rec["sklearn_probability"] = float(p)
            f.write(json.dumps(rec) + "\n")


def step_verify(version):
    """ONNX in onnxruntime-node must match sklearn's predict_proba within 1e-5 (exits non-zero if not)."""
    node(
        "verify-onnx.mjs",
        "--model", os.path.join(HERE, "models", f"flights-delay-{version}.onnx"),
        "--rows", work(version, "parity.jsonl"),
        "--out", work(version, "parity.json"),
    )


def step_baseline():
    """The v1 training feature table as the committed baseline (100k rows by md5, Parquet via DuckDB)."""
    node(
        "write-baseline.mjs",
        "--in", work("v1", "train_features.csv"),
        "--out", os.path.join(HERE, "baselines", "train-v1.parquet"),
        "--rows", str(BASELINE_ROWS),
    )


def step_evaluate(versions):
    """Held-out quality: each model on April, May, June (all flights), on the captured-traffic
    sample (20,000 per month, same md5 rule as make-traffic.mjs), on the golden set and on the
    in-window holdout."""
    report = {"threshold": THRESHOLD, "models": {}}
    months = {}
    for month in EVAL_MONTHS:
        df = load_features(work("eval", f"2001-{month:02d}_features.csv"))
        df["_key"] = df["flight_id"].map(sample_key)
        df["_rank"] = df["_key"].rank(method="first").astype(int)
        months[month] = df
    traffic = pd.concat([df[df["_rank"] <= TRAFFIC_PER_MONTH] for df in months.values()])
    april = months[4]
    golden = april[(april["_rank"] > TRAFFIC_PER_MONTH) & (april["_rank"] <= TRAFFIC_PER_MONTH + GOLDEN_ROWS)]
    for version in versions:
        with open(work(version, "model.pkl"), "rb") as f:
            model = pickle.load(f)
        with open(work(version, "train_metrics.json"), encoding="utf-8") as f:
            tm = json.load(f)
        score = lambda df: classification_metrics(  # noqa: E731
            df[LABEL].to_numpy(), model.predict_proba(df[F.FEATURE_NAMES])[:, 1])
        report["models"][version] = {
            "window": VERSIONS[version]["window"],
            "train_rows": tm["train_rows"],
            "holdout": tm["holdout"],
            **{f"2001-{m:02d}": score(df) for m, df in months.items()},
            "traffic_sample": score(traffic),
            **{f"traffic_2001-{m:02d}": score(df[df["_rank"] <= TRAFFIC_PER_MONTH]) for m, df in months.items()},
            "golden": score(golden),
        }
    os.makedirs(os.path.join(HERE, "reports"), exist_ok=True)
    write_json(os.path.join(HERE, "reports", "metrics.json"), report, indent=2)
    for version, r in report["models"].items():
        for part in r:
            if not isinstance(r[part], dict):
                continue
            x = r[part]
            print(f"  {version} {part:<18} n={x['rows']:>7}  auc={x['roc_auc']:.4f}  acc={x['accuracy']:.4f}")


# --- driver -----------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--versions", default="v1,v2", help="comma list of model versions to train")
    args = ap.parse_args()
    versions = args.versions.split(",")
    if LOOKUP_VERSION not in versions and not os.path.exists(F.ROUTE_STATS_PATH):
        sys.exit(f"lookup tables are fit by {LOOKUP_VERSION}; train it first")
    os.makedirs(WORK, exist_ok=True)
    if os.path.exists(work("pipeline-runs.jsonl")):
        os.remove(work("pipeline-runs.jsonl"))
    # Training runs offline: the SDK spools its runs under .work/, collected at the end.
    os.environ.setdefault("SIGHTLINE_LINEAGE", "spool")
    os.environ.setdefault("SIGHTLINE_HOME", work("lineage"))

    t0 = time.perf_counter()
    run_step("raw", step_raw, [RAW_PARQUET], [work("raw.json")])
    all_months = sorted({m for v in versions for m in VERSIONS[v]["months"]} | set(EVAL_MONTHS))
    run_step("clean", step_clean, [RAW_PARQUET], [clean_csv(m) for m in all_months])
    lookup_files = [F.ROUTE_STATS_PATH, F.AIRPORTS_PATH]
    for v in versions:
        vf = lambda name: work(v, name)  # noqa: E731
        months = VERSIONS[v]["months"]
        run_step(f"split {v}", lambda: step_split(v), [clean_csv(m) for m in months],
                 [vf("train_raw.csv"), vf("holdout_raw.csv")], {"holdout": f"1/{HOLDOUT_BUCKETS} by md5(flight_id)"}, code=step_split)
        if v == LOOKUP_VERSION:
            run_step("lookups", step_lookups, [vf("train_raw.csv")], lookup_files,
                     {"top_k": TOP_K_AIRPORTS, "prior_weight": PRIOR_WEIGHT})
        code = [os.path.join(HERE, "features.py")]
        run_step(f"features {v}", lambda: step_features(v), [vf("train_raw.csv"), vf("holdout_raw.csv"), *lookup_files, *code],
                 [vf("train_features.csv"), vf("holdout_features.csv")], code=step_features)
        run_step(f"train {v}", lambda: step_train(v), [vf("train_features.csv"), vf("holdout_features.csv")],
                 [vf("model.pkl"), vf("train_metrics.json")], {"seed": SEED, "C": 1.0}, code=step_train)
        onnx_path = os.path.join(HERE, "models", f"flights-delay-{v}.onnx")
        run_step(f"export {v}", lambda: step_export(v), [vf("model.pkl"), vf("train_metrics.json")],
                 [onnx_path, os.path.join(HERE, "models", f"flights-delay-{v}.sightline.json"), vf("parity.jsonl")], code=step_export)
        run_step(f"verify {v}", lambda: step_verify(v), [onnx_path, vf("parity.jsonl")], [vf("parity.json")], code=step_verify)
    if "v1" in versions:
        run_step("baseline", step_baseline, [work("v1", "train_features.csv")],
                 [os.path.join(HERE, "baselines", "train-v1.parquet")], {"rows": BASELINE_ROWS})
    eval_files = [work("eval", f"2001-{m:02d}_features.csv") for m in EVAL_MONTHS]
    run_step("eval features", step_eval_features, [clean_csv(m) for m in EVAL_MONTHS] + lookup_files, eval_files)
    run_step("evaluate", lambda: step_evaluate(versions), eval_files + [work(v, "model.pkl") for v in versions],
             [os.path.join(HERE, "reports", "metrics.json")], code=step_evaluate)
    collect_lineage()
    print(f"pipeline done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
