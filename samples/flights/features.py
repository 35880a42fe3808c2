"""Feature definitions for the flight-delay model — the TRAINING path.

Every feature is one small function named exactly like the feature (the names are the contract
with the ONNX model inputs and with serving/features.ts). `compute_features(raw)` builds the
whole feature dict for one raw record:

    {"flight_id": "F1477911", "date": "2001-04-01T00:02:00", "origin": "ATL",
     "destination": "FLL", "distance": 581}

Used two ways:
  * imported by train.py to build the training table, and
  * as an offline transform:  python3 features.py --jsonl < raw.jsonl > features.jsonl

Pure standard library on purpose: the same code runs in the pipeline, in a notebook and in a
batch job without a dependency resolver in the way.
"""

import json
import os
import sys
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))

# Lookup tables written by the training pipeline (train.py, step "lookups") and committed.
ROUTE_STATS_PATH = os.path.join(HERE, "route_stats.json")
AIRPORTS_PATH = os.path.join(HERE, "airports.json")

DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
OTHER = "OTHER"

FEATURE_NAMES = [
    "dep_hour",
    "day_of_week",
    "distance",
    "origin",
    "destination",
    "route_delay_rate",
    "origin_hour_delay_rate",
]


def _departure(raw):
    # `date` is the local scheduled departure as an ISO timestamp ("2001-04-03T14:25:00").
    return datetime.fromisoformat(raw["date"])


def _airport(code):
    return str(code).strip().upper()


def _route_key(origin_code, destination_code):
    # A route is directed: ORD>LAX and LAX>ORD have different delay histories.
    return f"{origin_code}>{destination_code}"


def _origin_hour_key(origin_code, hour):
    return f"{origin_code}|{hour}"


def _smoothed_rate(counts, stats):
    """Delayed share of a group, shrunk toward the global rate.

    rate = (delayed + m * global_rate) / (n + m), m = prior_weight. A route flown 3 times with
    2 delays gets ~global, one flown 3000 times keeps its own history. Unknown groups -> global.
    """
    global_rate = stats["global"]["delayed"] / stats["global"]["n"]
    if counts is None:
        return global_rate
    m = stats["prior_weight"]
    return (counts["delayed"] + m * global_rate) / (counts["n"] + m)


# --- features ---------------------------------------------------------------------------------


def dep_hour(raw):
    """Local departure hour, 0-23. Delays pile up during the day."""
    return _departure(raw).hour


def day_of_week(raw):
    """Day of the week of the departure, "Mon".."Sun"."""
    return DAY_NAMES[_departure(raw).weekday()]


def distance(raw):
    """Great-circle distance of the flight in miles."""
    return float(raw["distance"])


def origin(raw, airports):
    """Origin airport code if it is one of the top-K origins of the training window, else OTHER."""
    code = _airport(raw["origin"])
    return code if code in airports["origin"] else OTHER


def destination(raw, airports):
    """Destination airport code if it is one of the top-K destinations, else OTHER."""
    code = _airport(raw["destination"])
    return code if code in airports["destination"] else OTHER


def route_delay_rate(raw, stats):
    """Smoothed historical delayed share of this origin>destination route."""
    key = _route_key(_airport(raw["origin"]), _airport(raw["destination"]))
    return _smoothed_rate(stats["routes"].get(key), stats)


def origin_hour_delay_rate(raw, stats):
    """Smoothed historical delayed share of departures from this airport in this hour."""
    key = _origin_hour_key(_airport(raw["origin"]), dep_hour(raw))
    return _smoothed_rate(stats["origin_hour"].get(key), stats)


# --- assembly ---------------------------------------------------------------------------------


_LOOKUPS = None


def load_lookups(route_stats_path=ROUTE_STATS_PATH, airports_path=AIRPORTS_PATH):
    """Read the committed lookup tables; airport lists become sets for O(1) membership."""
    with open(route_stats_path, encoding="utf-8") as f:
        stats = json.load(f)
    with open(airports_path, encoding="utf-8") as f:
        top = json.load(f)
    airports = {"origin": set(top["origin"]), "destination": set(top["destination"])}
    return {"stats": stats, "airports": airports}


def compute_features(raw, lookups=None):
    """All model features for one raw flight record, keyed by feature name."""
    global _LOOKUPS
    if lookups is None:
        if _LOOKUPS is None:
            _LOOKUPS = load_lookups()
        lookups = _LOOKUPS
    stats, airports = lookups["stats"], lookups["airports"]
    return {
        "dep_hour": dep_hour(raw),
        "day_of_week": day_of_week(raw),
        "distance": distance(raw),
        "origin": origin(raw, airports),
        "destination": destination(raw, airports),
        "route_delay_rate": route_delay_rate(raw, stats),
        "origin_hour_delay_rate": origin_hour_delay_rate(raw, stats),
    }


def _main(argv):
    if argv[1:] != ["--jsonl"]:
        print("usage: features.py --jsonl < raw.jsonl > features.jsonl", file=sys.stderr)
        return 2
    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        raw = json.loads(line)
        row = {"flight_id": raw.get("flight_id")}
        row.update(compute_features(raw))
        out.write(json.dumps(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
