"""Lineage from Python pipelines: log each step as a component run with the files it read and
wrote (content hashes streamed), its params and metrics, the git commit (and whether the work
tree was dirty) and the file:line of the step's code. Standard library only.

    import sightline

    @sightline.component_run("features", inputs=["clean.csv"], outputs=["features.csv"])
    def build_features():
        ...

    with sightline.run("train", params={"C": 1.0}) as r:
        r.input("features.csv")
        model = fit(...)
        r.output("model.onnx", kind="model")
        r.metric("auc", 0.81)

The run is sent to the daemon (``POST /v1/runs``) when the step ends. When no daemon answers it
is spooled to ``$SIGHTLINE_HOME/spool/<time>-<id>.jsonl`` (one run per line, written to a temp
file and renamed), and the daemon stores it at its next start. Lineage never breaks or slows the
pipeline: every failure of the SDK itself is a warning on stderr, requests time out after
``timeout`` seconds, and exceptions of the step propagate unchanged (the run is logged ``failed``).
Set ``SIGHTLINE_LINEAGE=off`` to turn logging off, ``SIGHTLINE_LINEAGE=spool`` to only spool
(never contact a daemon: batch jobs whose lineage is shipped as the spool files).
"""

import contextvars
import datetime
import functools
import hashlib
import inspect
import json
import math
import numbers
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, TypeVar, Union

from .client import Client, sightline_home
from .errors import SightlineError

__all__ = [
    "ARTIFACT_KINDS",
    "DEFAULT_LINEAGE_TIMEOUT",
    "Run",
    "component_run",
    "current_run",
    "git_state",
    "hash_file",
    "hash_value",
    "run",
    "spool_dir",
]

DEFAULT_LINEAGE_TIMEOUT = 2.0
"""Seconds the SDK waits for the daemon before it spools the run instead."""
ARTIFACT_KINDS = ("data", "features", "model", "labels", "report")
_MODEL_SUFFIXES = {".onnx", ".pkl", ".pickle", ".joblib", ".pt", ".pth", ".h5", ".keras", ".safetensors", ".ckpt"}
_GIT_TIMEOUT = 2.0
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Codes meaning "the daemon did not take it": spool and let the next daemon start store it.
_SPOOL_CODES = {"unavailable", "timeout", "internal", "bad_file"}

PathLike = Union[str, "os.PathLike[str]"]
ArtifactSpec = Union[PathLike, Mapping[str, Any]]
F = TypeVar("F", bound=Callable[..., Any])

_current: "contextvars.ContextVar[Optional[Run]]" = contextvars.ContextVar("sightline_run", default=None)


def _warn(message: str) -> None:
    try:
        sys.stderr.write("sightline: warning: {}\n".format(message))
    except Exception:  # noqa: BLE001  (stderr closed: nothing left to tell)
        pass


def _enabled() -> bool:
    return os.environ.get("SIGHTLINE_LINEAGE", "").strip().lower() not in ("0", "off", "false", "no")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


# --------------------------------------------------------------------------- hashing


def hash_file(path: PathLike, chunk_size: int = 1 << 20) -> Tuple[str, int]:
    """sha256 hex of a file's bytes (streamed) and its size; for a folder, sha256 over its files'
    sorted relative paths and hashes, and their total size. A model file's hash is its model id."""
    p = Path(path)
    if p.is_dir():
        digest = hashlib.sha256()
        total = 0
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h, size = hash_file(f, chunk_size)
            digest.update("{}\0{}\n".format(f.relative_to(p).as_posix(), h).encode("utf-8"))
            total += size
        return digest.hexdigest(), total
    digest = hashlib.sha256()
    size = 0
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def hash_value(value: Any) -> str:
    """sha256 hex of an in-memory object: bytes as they are, text as UTF-8, anything else as
    canonical JSON (sorted keys)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
    else:
        data = json.dumps(_clean_json(value), sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- git and code location


_toplevels: Dict[str, Optional[str]] = {}


def _repo_root(directory: str) -> Optional[str]:
    """The git work tree holding ``directory`` (found by looking for ``.git`` upward), or None."""
    directory = os.path.abspath(directory)
    if directory in _toplevels:
        return _toplevels[directory]
    d = directory
    root: Optional[str] = None
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            root = d
            break
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    _toplevels[directory] = root
    return root


def git_state(directory: Optional[PathLike] = None) -> Tuple[Optional[str], Optional[bool]]:
    """(commit, dirty) of the git work tree at ``directory`` (default: cwd); (None, None) without
    git, outside a repository, or when git takes longer than 2 s. Dirty means tracked files differ
    from the commit (untracked files do not count)."""
    cwd = os.fspath(directory) if directory is not None else os.getcwd()
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, env=env, capture_output=True, text=True, timeout=_GIT_TIMEOUT, stdin=subprocess.DEVNULL)
        if head.returncode != 0:
            return None, None
        commit = head.stdout.strip().lower() or None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None, None
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, env=env, capture_output=True, text=True, timeout=_GIT_TIMEOUT, stdin=subprocess.DEVNULL
        )
        dirty: Optional[bool] = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        dirty = None
    return commit, dirty


def _display_path(path: str) -> str:
    """A path relative to its git repository (stable across machines and working directories),
    else the absolute path."""
    absolute = os.path.abspath(path)
    root = _repo_root(os.path.dirname(absolute))
    if root is not None:
        return Path(os.path.relpath(absolute, root)).as_posix()
    return Path(absolute).as_posix()


def _caller_location() -> Tuple[Optional[str], Optional[int]]:
    """file:line of the first frame outside this package and the standard library's contextlib."""
    frame = inspect.currentframe()
    try:
        while frame is not None:
            filename = os.path.abspath(frame.f_code.co_filename)
            if not filename.startswith(_PACKAGE_DIR + os.sep) and os.path.basename(filename) != "contextlib.py":
                return filename, frame.f_lineno
            frame = frame.f_back
        return None, None
    finally:
        del frame


# --------------------------------------------------------------------------- JSON hygiene


def _clean_json(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy: numpy scalars/arrays via ``tolist``, non-finite floats and unknown objects as text."""
    if depth > 50:
        return str(value)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return f if math.isfinite(f) else str(f)
    if isinstance(value, Mapping):
        return {str(k): _clean_json(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_clean_json(v, depth + 1) for v in value]
    if hasattr(value, "tolist"):
        return _clean_json(value.tolist(), depth + 1)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return str(value)


# --------------------------------------------------------------------------- delivery


def spool_dir(home: Optional[PathLike] = None) -> Path:
    """Where undelivered runs wait for the next daemon start: ``$SIGHTLINE_HOME/spool``."""
    return (Path(home) if home is not None else sightline_home()) / "spool"


def _spool(payload: Dict[str, Any], home: Optional[PathLike]) -> Optional[Path]:
    """Writes one run as one JSON line, atomically: temp file, fsync, rename."""
    folder = spool_dir(home)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    final = folder / "{}-{}.jsonl".format(stamp, payload["id"])
    tmp = folder / ".{}.tmp".format(payload["id"])
    line = (json.dumps(payload, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(str(tmp), str(final))
    return final


def _spool_only() -> bool:
    return os.environ.get("SIGHTLINE_LINEAGE", "").strip().lower() == "spool"


def _deliver(payload: Dict[str, Any], home: Optional[PathLike], timeout: float) -> str:
    """Sends the run to the daemon, else spools it. Returns 'sent', 'spooled', 'refused' or 'lost'."""
    try:
        if _spool_only():
            raise SightlineError("unavailable", "SIGHTLINE_LINEAGE=spool")
        Client(home=home, timeout=timeout).request("POST", "/v1/runs", payload)
        return "sent"
    except SightlineError as e:
        if e.code not in _SPOOL_CODES:
            _warn("the daemon refused run {} of {!r}: {}".format(payload.get("id"), payload.get("component"), e))
            return "refused"
    except Exception as e:  # noqa: BLE001  (anything else: keep the run for the next daemon)
        _warn("could not send run {} to the daemon ({}); spooling it".format(payload.get("id"), e))
    try:
        _spool(payload, home)
        return "spooled"
    except Exception as e:  # noqa: BLE001
        _warn("could not spool run {} of {!r} to {}: {}".format(payload.get("id"), payload.get("component"), spool_dir(home), e))
        return "lost"


# --------------------------------------------------------------------------- runs


class Run:
    """One execution of a pipeline step. Use it as a context manager (``with sightline.run(...)``)
    or through :func:`component_run`; declare what it reads with :meth:`input` (hashed at once)
    and what it writes with :meth:`output` (hashed when the step ends)."""

    def __init__(
        self,
        component: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        inputs: Iterable[ArtifactSpec] = (),
        outputs: Iterable[ArtifactSpec] = (),
        owner: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        description: Optional[str] = None,
        notes: Optional[str] = None,
        home: Optional[PathLike] = None,
        timeout: float = DEFAULT_LINEAGE_TIMEOUT,
        code_location: Optional[Tuple[Optional[str], Optional[int]]] = None,
    ) -> None:
        self.id = str(uuid.uuid4())
        self.component = str(component)
        self.params: Dict[str, Any] = dict(params or {})
        self.metrics: Dict[str, float] = {}
        self.owner, self.tags, self.description, self.notes = owner, list(tags) if tags else None, description, notes
        self.home, self.timeout = home, timeout
        self.inputs: List[Dict[str, Any]] = []
        self._pending_outputs: List[Tuple[ArtifactSpec, Dict[str, Any]]] = []
        self.outputs: List[Dict[str, Any]] = []
        self.start: Optional[str] = None
        self.end: Optional[str] = None
        self.status = "ok"
        self.delivery: Optional[str] = None
        self._code = code_location if code_location is not None else _caller_location()
        self._token: Optional[contextvars.Token] = None
        for spec in inputs:
            self.input(spec)
        for spec in outputs:
            self.output(spec)

    # ---- declaring ----------------------------------------------------------------------------

    def input(self, path: Optional[ArtifactSpec] = None, **fields: Any) -> "Run":
        """Declares something the step reads: a file or folder path (hashed now, before the step
        can change it), or an object given by ``name=`` with ``content_hash=`` or ``value=``
        (hashed with :func:`hash_value`). Optional ``kind`` (data, features, model, labels,
        report), ``name``, ``uri``."""
        art = self._safe(lambda: self._artifact(path, fields), "input {!r}".format(path if path is not None else fields.get("name")))
        if art is not None:
            self.inputs.append(art)
        return self

    def output(self, path: Optional[ArtifactSpec] = None, **fields: Any) -> "Run":
        """Declares something the step writes; a file is hashed when the step ends."""
        self._pending_outputs.append((path if path is not None else "", dict(fields)))
        return self

    def metric(self, name: str, value: Any) -> "Run":
        """Records a metric (a finite number)."""
        try:
            v = float(value)
            if not math.isfinite(v):
                raise ValueError("not finite")
            self.metrics[str(name)] = v
        except Exception as e:  # noqa: BLE001
            _warn("metric {!r} of run {!r} ignored: {!r} is not a finite number ({})".format(name, self.component, value, e))
        return self

    def param(self, name: str, value: Any) -> "Run":
        self.params[str(name)] = value
        return self

    def note(self, text: str) -> "Run":
        self.notes = text if not self.notes else "{}\n{}".format(self.notes, text)
        return self

    # ---- context manager ----------------------------------------------------------------------

    def __enter__(self) -> "Run":
        self.start = _now()
        self._token = _current.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if self._token is not None:
            try:
                _current.reset(self._token)
            except ValueError:  # exited in another context (threads, generators): leave it
                pass
            self._token = None
        if exc_type is not None:
            self.status = "failed"
            self.note("failed: {}: {}".format(exc_type.__name__, exc))
        self.finish()
        return False  # never swallow the step's own exception

    def finish(self) -> Optional[str]:
        """Ends the run (hashes the outputs) and delivers it; returns 'sent', 'spooled', 'refused',
        'lost' or None when lineage is off. Called by ``__exit__``; never raises."""
        if self.end is not None:
            return self.delivery
        self.end = _now()
        if self.start is None:
            self.start = self.end
        if not _enabled():
            self.delivery = None
            return None
        try:
            for spec, fields in self._pending_outputs:
                art = self._safe(lambda: self._artifact(spec if spec != "" else None, fields), "output {!r}".format(spec or fields.get("name")))
                if art is not None:
                    self.outputs.append(art)
            self._pending_outputs = []
            self.delivery = _deliver(self.payload(), self.home, self.timeout)
        except Exception as e:  # noqa: BLE001
            _warn("lineage of run {!r} was not recorded: {}".format(self.component, e))
            self.delivery = "lost"
        return self.delivery

    def payload(self) -> Dict[str, Any]:
        """The ``POST /v1/runs`` body (also the spool line)."""
        code_file, code_line = self._code
        commit, dirty = git_state(os.path.dirname(code_file) if code_file else None)
        body: Dict[str, Any] = {
            "id": self.id,
            "component": self.component,
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "git_commit": commit,
            "git_dirty": dirty,
            "code_file": _display_path(code_file) if code_file else None,
            "code_line": code_line,
            "params": _clean_json(self.params),
            "metrics": self.metrics,
            "inputs": self.inputs,
            "outputs": self.outputs,
        }
        for key in ("owner", "tags", "description", "notes"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body

    # ---- helpers ------------------------------------------------------------------------------

    def _safe(self, fn: Callable[[], Optional[Dict[str, Any]]], what: str) -> Optional[Dict[str, Any]]:
        try:
            return fn()
        except Exception as e:  # noqa: BLE001
            _warn("{} of run {!r} not recorded: {}".format(what, self.component, e))
            return None

    def _artifact(self, spec: Optional[ArtifactSpec], fields: Dict[str, Any]) -> Dict[str, Any]:
        if isinstance(spec, Mapping):
            fields = {**spec, **fields}
            spec = fields.pop("path", None)
        fields = dict(fields)
        value_given = "value" in fields
        value = fields.pop("value", None)
        art: Dict[str, Any] = {}
        if spec is not None and os.fspath(spec) != "":
            path = os.fspath(spec)
            art["name"] = _display_path(path)
            art["uri"] = Path(os.path.abspath(path)).as_uri()
            suffix = Path(path).suffix.lower()
            art["kind"] = "model" if suffix in _MODEL_SUFFIXES else "data"
            if os.path.exists(path):
                art["content_hash"], art["size"] = hash_file(path)
            else:
                _warn("{} does not exist; run {!r} records it without a content hash (its lineage then falls back to name matching)".format(path, self.component))
        elif value_given:
            art["content_hash"] = hash_value(value)
        for key in ("name", "kind", "uri", "content_hash", "size"):
            if fields.get(key) is not None:
                art[key] = fields[key]
        unknown = set(fields) - {"name", "kind", "uri", "content_hash", "size"}
        if unknown:
            raise ValueError("unknown artifact field(s) {}".format(", ".join(sorted(unknown))))
        if not art.get("name"):
            raise ValueError("an artifact needs a path or a name=")
        if art.get("kind", "data") not in ARTIFACT_KINDS:
            raise ValueError("kind must be one of {}, got {!r}".format(", ".join(ARTIFACT_KINDS), art.get("kind")))
        art.setdefault("kind", "data")
        if "content_hash" in art:
            art["content_hash"] = str(art["content_hash"]).lower()
        return art


def run(component: str, **options: Any) -> Run:
    """A run of ``component`` as a context manager: ``with sightline.run("train", params={...}) as r:``.
    Options: ``params``, ``inputs``, ``outputs``, ``owner``, ``tags``, ``description``, ``notes``,
    ``home``, ``timeout``."""
    options.setdefault("code_location", _caller_location())
    return Run(component, **options)


def current_run() -> Optional[Run]:
    """The run of the step being executed (inside ``with sightline.run`` or a ``component_run``)."""
    return _current.get()


def component_run(
    component: str,
    inputs: Union[Iterable[ArtifactSpec], Callable[..., Iterable[ArtifactSpec]]] = (),
    outputs: Union[Iterable[ArtifactSpec], Callable[..., Iterable[ArtifactSpec]]] = (),
    **options: Any,
) -> Callable[[F], F]:
    """Decorator: every call of the function is a run of ``component``. ``inputs``/``outputs`` are
    paths (or artifact dicts), or a callable taking the function's arguments and returning them.
    Inside, :func:`current_run` gives the run (to add metrics). Other options as :func:`run`."""

    def decorate(fn: F) -> F:
        try:
            location: Tuple[Optional[str], Optional[int]] = (os.path.abspath(inspect.getsourcefile(fn) or fn.__code__.co_filename), fn.__code__.co_firstlineno)
        except Exception:  # noqa: BLE001  (builtins, partials: no source)
            location = (None, None)

        def resolve(spec: Any, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> List[ArtifactSpec]:
            try:
                return list(spec(*args, **kwargs) if callable(spec) else spec)
            except Exception as e:  # noqa: BLE001
                _warn("artifacts of {!r} not recorded: {}".format(component, e))
                return []

        def begin(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Run:
            r = Run(component, code_location=location, **options)
            for spec in resolve(inputs, args, kwargs):
                r.input(spec)
            return r

        def end_outputs(r: Run, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> None:
            for spec in resolve(outputs, args, kwargs):
                r.output(spec)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                r = begin(args, kwargs)
                with r:
                    result = await fn(*args, **kwargs)
                    end_outputs(r, args, kwargs)
                    return result

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            r = begin(args, kwargs)
            with r:
                result = fn(*args, **kwargs)
                end_outputs(r, args, kwargs)
                return result

        return wrapper  # type: ignore[return-value]

    return decorate
