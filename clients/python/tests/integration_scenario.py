"""Drives the client against a real daemon; run by test/integration/python-client.test.ts.

Usage: SIGHTLINE_HOME=<daemon home> PYTHONPATH=clients/python python3 integration_scenario.py INPUT.json
INPUT holds {"model", "records", "join_keys", "labels"} (real rows of the sample). Prints one JSON
summary on stdout; the TypeScript test asserts on it and on the trace the daemon wrote.
"""

import json
import math
import socket
import sys
import tempfile
from typing import Any, Callable, Dict, Optional

from sightline import Client, SightlineError


def refusal(call: Callable[[], Any]) -> Optional[Dict[str, Any]]:
    try:
        call()
    except SightlineError as e:
        return {"code": e.code, "message": e.message, "path": e.path, "is_exception": isinstance(e, Exception)}
    return None


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    model, records, keys, labels = data["model"], data["records"], data["join_keys"], data["labels"]
    n = len(records)

    client = Client()  # port and token from $SIGHTLINE_HOME/daemon.json
    health = client.health()
    models = client.models()

    # batch_size below n: the batch goes in several requests and comes back as one answer.
    chunking = Client(batch_size=max(1, n // 3 + 1))
    res = chunking.predict(model, records, join_keys=keys, request_id="py-req-1", attributes=[{"carrier": "AA" if i % 2 else "UA"} for i in range(n)])
    preds = res["predictions"]

    # Ground truth arrives later: by join key (batch), one by join key, one by prediction id.
    by_key = client.log_labels([{"join_key": k, "value": v} for k, v in zip(keys[:-2], labels[:-2])])
    one = client.label(join_key=keys[-2], value=labels[-2])
    by_id = client.label(prediction_id=preds[-1]["id"], value=labels[-1])

    logged = client.log_predictions(
        "external-model", "v0",
        [{"features": {"distance": r["distance"], "origin": r["origin"]}, "score": 0.25, "join_key": "ext-" + k} for r, k in zip(records[:3], keys[:3])],
    )

    bad_record = dict(records[0], distance=math.nan)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed_port = s.getsockname()[1]
    s.close()
    with tempfile.TemporaryDirectory() as empty_home:
        errors = {
            "unknown_model": refusal(lambda: client.predict("no-such-model", records[:2])),
            "nan": refusal(lambda: client.predict(model, records[:1] + [bad_record])),
            "missing_feature": refusal(lambda: chunking.predict(model, records[:-1] + [{k: v for k, v in records[-1].items() if k != "distance"}])),
            "unauthorized": refusal(lambda: Client(port=client.port, token="wrong").health()),
            "unavailable": refusal(lambda: Client(port=closed_port, token="x").health()),
            "no_daemon_file": refusal(lambda: Client(home=empty_home)),
        }

    print(json.dumps({
        "python": sys.version.split()[0],
        "health": {"status": health["status"], "pid": health["pid"], "trace": health["trace"]},
        "models": sorted("{}@{}".format(m["name"], m["version"]) for m in models["models"]),
        "predict": {
            "count": len(preds),
            "ids": [p["id"] for p in preds],
            "scores": [p["score"] for p in preds],
            "request_id": res["request_id"],
            "model": res["model"],
            "execution_provider": res["execution_provider"],
            "batch_size": chunking.batch_size,
        },
        "labels_logged": by_key["logged"] + one["logged"] + by_id["logged"],
        "log_predictions": logged,
        "errors": errors,
    }))


if __name__ == "__main__":
    main()
