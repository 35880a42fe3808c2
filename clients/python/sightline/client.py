"""HTTP client of the local Sightline daemon (``sightline serve``), standard library only.

Mirrors ``clients/typescript/client.ts``: JSON over HTTP to ``http://127.0.0.1:<port>/v1/...`` with
``Authorization: Bearer <token>``; port and token come from ``$SIGHTLINE_HOME/daemon.json``
(default ``~/.sightline``), which the daemon writes at start with mode 0600.
"""

import collections.abc
import json
import math
import numbers
import os
import socket
import urllib.error
import urllib.request
import uuid
from http.client import HTTPException
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, TypedDict, TypeVar, Union

from .errors import SightlineError

__all__ = [
    "Client",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_TIMEOUT",
    "Prediction",
    "PredictResponse",
    "chunked",
    "check_records",
    "daemon_info_path",
    "read_daemon_info",
    "sightline_home",
]

DEFAULT_TIMEOUT = 30.0
"""Seconds to wait for each HTTP request (one chunk of a batch)."""
DEFAULT_BATCH_SIZE = 5000
"""Records per request when a batch is split (the daemon accepts at most 100 000)."""

START_HINT = "start one with `sightline serve --trace trace.duckdb --model model.onnx`"

FeatureValue = Union[float, int, str, bool, None]
Record = Mapping[str, FeatureValue]
PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")


class Prediction(TypedDict):
    """One row of a predict response: ``id`` is the logged prediction's id (labels may use it)."""

    id: str
    outputs: Dict[str, Any]
    score: Optional[float]
    label: Union[str, float, None]


class _PredictResponseBase(TypedDict):
    model: Dict[str, str]
    execution_provider: str
    request_id: str
    latency_ms: float
    predictions: List[Prediction]


class PredictResponse(_PredictResponseBase, total=False):
    """``POST /v1/predict`` answer; ``shadow`` appears when a shadow model ran on the same rows."""

    shadow: Dict[str, str]


# --------------------------------------------------------------------------- daemon.json


def sightline_home(env: Optional[Mapping[str, str]] = None) -> Path:
    """``$SIGHTLINE_HOME``, or ``~/.sightline`` when unset or empty."""
    value = (os.environ if env is None else env).get("SIGHTLINE_HOME", "")
    return Path(value).resolve() if value else Path.home() / ".sightline"


def daemon_info_path(home: Optional[PathLike] = None) -> Path:
    return (Path(home) if home is not None else sightline_home()) / "daemon.json"


def read_daemon_info(home: Optional[PathLike] = None) -> Dict[str, Any]:
    """Reads ``daemon.json`` (port, token, pid, trace, …) of the daemon whose state folder is ``home``.

    Raises ``SightlineError('unavailable')`` when there is no file (no daemon started there) and
    ``SightlineError('bad_file')`` when it cannot be read or lacks ``port``/``token``.
    """
    path = daemon_info_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SightlineError(
            "unavailable",
            "no Sightline daemon found: {} does not exist; {} (it writes that file), "
            "set SIGHTLINE_HOME to its state folder, or pass port= and token=".format(path, START_HINT),
        ) from None
    except OSError as e:
        raise SightlineError("bad_file", "cannot read {}: {}".format(path, e)) from None
    try:
        info = json.loads(text)
    except ValueError as e:
        raise SightlineError("bad_file", "{} is not valid JSON ({}); restart the daemon to rewrite it".format(path, e)) from None
    if not isinstance(info, dict) or not isinstance(info.get("port"), int) or not isinstance(info.get("token"), str):
        raise SightlineError("bad_file", "{} lacks a numeric `port` and a string `token`; restart the daemon to rewrite it".format(path))
    return info


# --------------------------------------------------------------------------- pure helpers


def chunked(items: Sequence[T], size: int) -> List[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (none for an empty sequence)."""
    if size < 1:
        raise ValueError("chunk size must be at least 1, got {}".format(size))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _non_finite(value: Any) -> bool:
    # numbers.Real covers float and numpy floating scalars; ints and bools are always finite.
    return isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and not math.isfinite(value)


def _check_finite(mapping: Any, path: List[Union[str, int]]) -> None:
    where = "{}[{}]".format(path[0], path[1]) + "".join("." + str(p) for p in path[2:])
    if not isinstance(mapping, collections.abc.Mapping):
        raise SightlineError("invalid_request", "{} must be a dict, got {}".format(where, type(mapping).__name__), path)
    for key, value in mapping.items():
        if _non_finite(value):
            raise SightlineError(
                "bad_value",
                "{}.{} is {}; JSON cannot carry NaN or infinity: send None for a missing value, "
                "or a finite number".format(where, key, value),
                path + [key],
            )


def check_records(records: Iterable[Record], field: str = "records") -> List[Dict[str, FeatureValue]]:
    """Returns ``records`` as a list of dicts after refusing NaN/±inf with
    ``SightlineError('bad_value')`` naming the record index and feature
    (``path = [field, index, feature]``). Nothing is sent when this raises."""
    rows = list(records)
    for i, record in enumerate(rows):
        _check_finite(record, [field, i])
    return [dict(r) for r in rows]


def _jsonable(value: Any) -> Any:
    """``json.dumps`` fallback: numpy scalars/arrays (``tolist``) and datetimes (``isoformat``)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError("{} is not JSON serialisable".format(type(value).__name__))


def _dumps(body: Any) -> bytes:
    try:
        return json.dumps(body, allow_nan=False, default=_jsonable, separators=(",", ":")).encode("utf-8")
    except ValueError as e:  # NaN/inf somewhere the explicit checks did not look
        raise SightlineError("bad_value", "the request holds NaN or infinity, which JSON cannot carry ({}); send None or a finite number".format(e)) from None
    except TypeError as e:
        raise SightlineError("invalid_request", "the request holds a value that cannot be written as JSON: {}".format(e)) from None


_INDEXED_FIELDS = ("records", "join_keys", "attributes", "predictions", "labels")


def _shift(err: SightlineError, offset: int) -> SightlineError:
    """Rewrites a refusal of chunk-local row ``i`` to the caller's row ``offset + i``."""
    if offset and err.path and len(err.path) > 1 and err.path[0] in _INDEXED_FIELDS and isinstance(err.path[1], int):
        field, local = err.path[0], err.path[1]
        err.path[1] = local + offset
        for old, new in (("{}[{}]".format(field, local), "{}[{}]".format(field, local + offset)), ("{}.{}".format(field, local), "{}.{}".format(field, local + offset))):
            err.message = err.message.replace(old, new, 1)
    if offset:
        err.message += " (the first {} rows of this batch were already sent and logged)".format(offset)
    err.args = (err.message,)
    return err


# --------------------------------------------------------------------------- client


class Client:
    """Talks to a running ``sightline serve``.

    ``Client()`` finds the daemon through ``$SIGHTLINE_HOME/daemon.json`` (or ``home``); pass
    ``port`` and ``token`` to skip the file. Every method returns the daemon's parsed JSON answer
    and raises :class:`SightlineError` on refusal. Batches larger than ``batch_size`` are sent in
    several requests; those are not atomic (rows of chunks before a refused one stay logged).
    """

    def __init__(
        self,
        port: Optional[int] = None,
        token: Optional[str] = None,
        home: Optional[PathLike] = None,
        *,
        timeout: Optional[float] = DEFAULT_TIMEOUT,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1, got {}".format(batch_size))
        self.timeout = timeout
        self.batch_size = batch_size
        self.host = "127.0.0.1"
        # Set when port/token came from daemon.json: re-read once if the daemon was restarted.
        self.daemon_file: Optional[Path] = None
        self._from_file = (False, False)  # (port, token) read from daemon_file
        if port is None or token is None:
            info = read_daemon_info(home)
            self.daemon_file = daemon_info_path(home)
            self._from_file = (port is None, token is None)
            port = info["port"] if port is None else port
            token = info["token"] if token is None else token
            self.host = str(info.get("host") or self.host)
        self.port: int = int(port)
        self._token: str = token
        # Loopback only: never route through $http_proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @property
    def base_url(self) -> str:
        return "http://{}:{}".format(self.host, self.port)

    def __repr__(self) -> str:
        return "Client({!r})".format(self.base_url)  # never the token

    # ---- routes -----------------------------------------------------------------------------

    def health(self) -> Dict[str, Any]:
        """``GET /v1/health``: status, protocol, version, pid, trace, models, pending_rows, …"""
        return self.request("GET", "/v1/health")

    def models(self) -> Dict[str, Any]:
        """``GET /v1/models``: ``{"models": [{id, name, version, state, execution_provider, inputs, …}]}``."""
        return self.request("GET", "/v1/models")

    def predict(
        self,
        model: str,
        records: Iterable[Record],
        join_keys: Optional[Sequence[str]] = None,
        request_id: Optional[str] = None,
        attributes: Optional[Sequence[Record]] = None,
        *,
        durable: Optional[bool] = None,
    ) -> PredictResponse:
        """Runs ``model`` (``name``, ``name@version`` or a hash prefix) on ``records`` (one dict of
        feature → value per row) and returns ``{model, execution_provider, request_id, latency_ms,
        predictions: [{id, outputs, score, label}]}``, one prediction per record, in order.

        ``join_keys`` (one per record) let labels arrive later by key; ``attributes`` (one dict per
        record) are kept for slicing, not fed to the model. Batches over ``batch_size`` go in several
        requests sharing one ``request_id``; ``latency_ms`` is then their sum.
        """
        rows = check_records(records)
        if not rows:
            raise SightlineError("invalid_request", "records is empty; give at least one record", ["records"])
        keys = list(join_keys) if join_keys is not None else None
        attrs = check_records(attributes, "attributes") if attributes is not None else None
        for name, values in (("join_keys", keys), ("attributes", attrs)):
            if values is not None and len(values) != len(rows):
                raise SightlineError("bad_shape", "{} has {} entries for {} records; give one per record".format(name, len(values), len(rows)), [name])
        if request_id is None and len(rows) > self.batch_size:
            request_id = str(uuid.uuid4())

        def body(start: int, chunk: Sequence[Any]) -> Dict[str, Any]:
            b: Dict[str, Any] = {"model": model, "records": chunk}
            if keys is not None:
                b["join_keys"] = keys[start : start + len(chunk)]
            if attrs is not None:
                b["attributes"] = attrs[start : start + len(chunk)]
            if request_id is not None:
                b["request_id"] = request_id
            if durable is not None:
                b["durable"] = durable
            return b

        answers: List[PredictResponse] = self._post_chunks("/v1/predict", rows, body)
        merged = answers[0]
        for res in answers[1:]:
            merged["predictions"].extend(res["predictions"])
            merged["latency_ms"] += res["latency_ms"]
        return merged

    def log_predictions(
        self,
        model_name: str,
        model_version: str,
        predictions: Iterable[Mapping[str, Any]],
        source: str = "python",
        *,
        model_id: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Logs predictions made elsewhere (no model run): each is ``{"features": {...}}`` plus
        optional ``id`` (UUID), ``time``, ``request_id``, ``join_key``, ``attributes``, ``score``,
        ``label``, ``outputs``, ``latency_ms``. Returns ``{"ids": [...], "logged": n}``."""
        rows = list(predictions)
        if not rows:
            raise SightlineError("invalid_request", "predictions is empty; give at least one", ["predictions"])
        for i, p in enumerate(rows):
            if not isinstance(p, collections.abc.Mapping):
                raise SightlineError("invalid_request", "predictions[{}] must be a dict with `features`".format(i), ["predictions", i])
            _check_finite(p.get("features"), ["predictions", i, "features"])
            if p.get("attributes") is not None:
                _check_finite(p["attributes"], ["predictions", i, "attributes"])
            _check_finite({k: p.get(k) for k in ("score", "latency_ms")}, ["predictions", i])
        model: Dict[str, str] = {"name": model_name, "version": model_version}
        if model_id is not None:
            model["id"] = model_id
        answers = self._post_chunks("/v1/predictions", rows, lambda _, chunk: {"model": model, "source": source, "predictions": chunk})
        ids = [i for a in answers for i in a["ids"]]
        return {"ids": ids, "logged": len(ids)}

    def log_labels(self, labels: Iterable[Mapping[str, Any]], source: str = "python") -> Dict[str, Any]:
        """Logs ground truth: each label is ``{"prediction_id" or "join_key", "value"}`` (``value``
        a number, string or bool; optional ``time``). Returns ``{"logged": n}``."""
        rows = list(labels)
        if not rows:
            raise SightlineError("invalid_request", "labels is empty; give at least one", ["labels"])
        for i, label in enumerate(rows):
            _check_finite(label, ["labels", i])
        answers = self._post_chunks("/v1/labels", rows, lambda _, chunk: {"source": source, "labels": chunk})
        return {"logged": sum(a["logged"] for a in answers)}

    def label(
        self,
        *,
        value: Union[float, int, str, bool],
        join_key: Optional[str] = None,
        prediction_id: Optional[str] = None,
        source: str = "python",
    ) -> Dict[str, Any]:
        """Logs one label by ``join_key`` (as given to ``predict``) or ``prediction_id``."""
        if join_key is None and prediction_id is None:
            raise SightlineError("invalid_request", "a label needs `join_key` or `prediction_id`", ["prediction_id"])
        label: Dict[str, Any] = {"value": value}
        if join_key is not None:
            label["join_key"] = join_key
        if prediction_id is not None:
            label["prediction_id"] = prediction_id
        return self.log_labels([label], source=source)

    # ---- transport --------------------------------------------------------------------------

    def _post_chunks(self, route: str, rows: Sequence[Any], body: Callable[[int, Sequence[Any]], Dict[str, Any]]) -> List[Any]:
        """POSTs ``rows`` in chunks of ``batch_size``, ``body(start, chunk)`` building each request;
        a refusal names the caller's row index, not the chunk's."""
        answers: List[Any] = []
        start = 0
        for chunk in chunked(rows, self.batch_size):
            try:
                answers.append(self.request("POST", route, body(start, chunk)))
            except SightlineError as e:
                raise _shift(e, start) from None
            start += len(chunk)
        return answers

    def request(self, method: str, route: str, body: Any = None) -> Any:
        """Sends one request to ``route`` (e.g. ``/v1/health``) and returns the parsed JSON answer."""
        data = _dumps(body) if body is not None else None
        try:
            return self._send(method, route, data)
        except SightlineError as e:
            # A restarted daemon has a new port and token: follow daemon.json once. Both failures
            # below happen before the daemon acts, so repeating the request is safe.
            if e.code in ("unauthorized", "unavailable") and getattr(e, "_retryable", True) and self._reload():
                return self._send(method, route, data)
            raise

    def _reload(self) -> bool:
        if self.daemon_file is None:
            return False
        try:
            info = read_daemon_info(self.daemon_file.parent)
        except SightlineError:
            return False
        port = info["port"] if self._from_file[0] else self.port
        token = info["token"] if self._from_file[1] else self._token
        if (port, token) == (self.port, self._token):
            return False
        self.port, self._token = int(port), token
        return True

    def _send(self, method: str, route: str, data: Optional[bytes]) -> Any:
        headers = {"Authorization": "Bearer " + self._token, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + route, data=data, method=method, headers=headers)
        try:
            with self._opener.open(req, timeout=self.timeout) as res:
                status, text = res.status, res.read()
        except urllib.error.HTTPError as e:
            try:
                status, text = e.code, e.read()
            finally:
                e.close()
        except (urllib.error.URLError, OSError, HTTPException) as e:
            raise self._transport_error(method, route, e) from None
        try:
            parsed = json.loads(text.decode("utf-8"))
        except ValueError:
            raise SightlineError("internal", "daemon answered {} with non-JSON: {!r}".format(status, text[:200])) from None
        if status >= 400:
            err = parsed.get("error") if isinstance(parsed, dict) else None
            err = err if isinstance(err, dict) else {}
            raise SightlineError(str(err.get("code") or "internal"), str(err.get("message") or "HTTP {}".format(status)), err.get("path"))
        return parsed

    def _transport_error(self, method: str, route: str, e: BaseException) -> SightlineError:
        reason = e.reason if isinstance(e, urllib.error.URLError) else e
        if isinstance(reason, socket.timeout) or "timed out" in str(reason):
            err = SightlineError(
                "timeout",
                "{} {} got no answer from the Sightline daemon at {} within {} s; raise Client(timeout=…) "
                "or send smaller batches (batch_size=…)".format(method, route, self.base_url, self.timeout),
            )
            setattr(err, "_retryable", False)  # the daemon may have acted on it
            return err
        source = " (port from {})".format(self.daemon_file) if self.daemon_file else ""
        err = SightlineError(
            "unavailable",
            "cannot reach the Sightline daemon at {}{}: {}. Is it running? {}".format(self.base_url, source, reason, START_HINT[0].upper() + START_HINT[1:]),
        )
        # Only a refused connection is certain to have done nothing on the daemon.
        setattr(err, "_retryable", isinstance(reason, ConnectionRefusedError))
        return err
