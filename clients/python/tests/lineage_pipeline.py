"""A small real pipeline logged through the lineage SDK (used by test/integration/lineage/):

    raw airports.json -> clean (decorator) -> features (decorator) -> train (context manager), once per model

The integration tests copy this file into a temporary git repository and run it there, so the
runs carry that repository's commit and this file's lines. ``train`` "trains" by copying a real
ONNX model (and its card) given on the command line; each copy is one training run with its own
params, so the daemon that loads the model links its predictions to that run.

    python3 lineage_pipeline.py MODEL.onnx [MODEL2.onnx ...]

Prints JSON: {"runs": {"clean": id, "features": id, "train": [ids]}, "deliveries": {...},
"models": [paths], "hashes": {path: sha256}}.
"""

import csv
import json
import os
import shutil
import sys

import sightline

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # the repository the tests copy this file into
RAW = os.path.join(ROOT, "data", "raw", "airports.json")
CLEAN = os.path.join(ROOT, "data", "clean", "airports.csv")
FEATURES = os.path.join(ROOT, "data", "features", "airport_features.csv")
TRAIN_PARAMS = [{"C": 1.0, "seed": 7, "solver": "lbfgs"}, {"C": 1000.0, "seed": 7, "solver": "lbfgs"}]

runs = {"train": []}
deliveries = {}


def remember(name):
    r = sightline.current_run()
    if r is not None:
        runs[name] = r.id


@sightline.component_run("clean", inputs=[RAW], outputs=[CLEAN], params={"keep": "origin+destination"}, owner="data-team", tags=["flights"])
def clean():
    remember("clean")
    with open(RAW, encoding="utf-8") as f:
        raw = json.load(f)
    os.makedirs(os.path.dirname(CLEAN), exist_ok=True)
    with open(CLEAN, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["airport", "side"])
        for side in ("origin", "destination"):
            for code in sorted(set(raw.get(side, []))):
                w.writerow([code, side])


@sightline.component_run("features", inputs=lambda: [CLEAN], outputs=lambda: [{"path": FEATURES, "kind": "features"}], params={"min_len": 3})
def features():
    remember("features")
    with open(CLEAN, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    os.makedirs(os.path.dirname(FEATURES), exist_ok=True)
    with open(FEATURES, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["airport", "is_origin", "is_hub"])
        for r in rows:
            w.writerow([r["airport"], int(r["side"] == "origin"), int(r["airport"] in ("ATL", "ORD", "DFW"))])
    sightline.current_run().metric("rows", len(rows))


def train(model_src, params):
    with sightline.run("train", params=params, description="logistic regression on airport features") as r:
        r.input(FEATURES)
        base = os.path.basename(model_src)
        target = os.path.join(ROOT, "models", base)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(model_src, target)
        card = model_src[: -len(".onnx")] + ".sightline.json"
        if os.path.exists(card):
            shutil.copyfile(card, target[: -len(".onnx")] + ".sightline.json")
        r.output(target, kind="model")
        r.metric("auc", 0.71 if params["C"] < 10 else 0.52)
    runs["train"].append(r.id)
    deliveries[r.id] = r.delivery
    return target


def main():
    models = sys.argv[1:]
    clean()
    features()
    outs = [train(m, TRAIN_PARAMS[i % len(TRAIN_PARAMS)]) for i, m in enumerate(models)]
    hashes = {p: sightline.hash_file(p)[0] for p in [RAW, CLEAN, FEATURES, *outs]}
    print(json.dumps({"runs": runs, "deliveries": deliveries, "models": outs, "hashes": hashes}))


if __name__ == "__main__":
    main()
