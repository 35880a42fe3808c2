"""Unit tests of the lineage SDK: hashing, payloads, delivery (sent / spooled / refused) and that it
never breaks or stalls the pipeline. A tiny stdlib HTTP server on 127.0.0.1 plays the daemon.
(test/integration/lineage/ runs the SDK against the real daemon.)
Run: python3 -m unittest discover -s clients/python/tests
"""

import asyncio
import contextlib
import hashlib
import io
import json
import os
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sightline  # noqa: E402
from sightline import lineage  # noqa: E402


class FakeDaemon:
    """Answers POST /v1/runs with a chosen status (or after a delay) and records the bodies."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.status, self.delay = status, delay
        self.bodies: List[Dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                time.sleep(outer.delay)
                payload = {"id": body.get("id")} if outer.status == 200 else {"error": {"code": "invalid_request" if outer.status == 400 else "internal", "message": "no"}}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(outer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def write_info(self, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        (home / "daemon.json").write_text(json.dumps({"port": self.server.server_address[1], "token": "t", "host": "127.0.0.1"}))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def captured_stderr() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    with mock.patch.object(sys, "stderr", buf):
        yield buf


class LineageTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.home = self.dir / "home"
        self.env = mock.patch.dict(os.environ, {"SIGHTLINE_HOME": str(self.home)})
        self.env.start()
        os.environ.pop("SIGHTLINE_LINEAGE", None)

    def tearDown(self) -> None:
        self.env.stop()
        self.tmp.cleanup()

    def spooled(self) -> List[Dict[str, Any]]:
        folder = self.home / "spool"
        if not folder.exists():
            return []
        out = []
        for f in sorted(folder.glob("*.jsonl")):
            lines = f.read_text().splitlines()
            self.assertEqual(len(lines), 1)
            out.append(json.loads(lines[0]))
        return out


class HashingTests(LineageTestCase):
    def test_hash_file_is_sha256_of_the_bytes(self) -> None:
        p = self.dir / "data.bin"
        data = os.urandom(3 * (1 << 20) + 17)  # several chunks
        p.write_bytes(data)
        self.assertEqual(sightline.hash_file(p), (hashlib.sha256(data).hexdigest(), len(data)))

    def test_hash_folder_depends_on_names_and_contents(self) -> None:
        d = self.dir / "ds"
        (d / "sub").mkdir(parents=True)
        (d / "a.csv").write_text("1")
        (d / "sub" / "b.csv").write_text("2")
        h1, size = sightline.hash_file(d)
        self.assertEqual(size, 2)
        (d / "sub" / "b.csv").write_text("3")
        self.assertNotEqual(sightline.hash_file(d)[0], h1)

    def test_hash_value(self) -> None:
        self.assertEqual(sightline.hash_value(b"abc"), hashlib.sha256(b"abc").hexdigest())
        self.assertEqual(sightline.hash_value("abc"), hashlib.sha256(b"abc").hexdigest())
        self.assertEqual(sightline.hash_value({"b": 1, "a": [1, 2]}), sightline.hash_value({"a": [1, 2], "b": 1}))


class PayloadTests(LineageTestCase):
    def test_context_manager_payload(self) -> None:
        src = self.dir / "in.csv"
        src.write_text("x\n1\n")
        out = self.dir / "model.onnx"
        with captured_stderr() as err:
            with sightline.run("train", params={"C": 1.0, "bad": float("nan")}, owner="me", tags=["t"]) as r:
                line = sys._getframe().f_lineno - 1
                r.input(src)
                r.input(name="db.table", value={"rows": 3}, kind="labels", uri="duckdb://x")
                out.write_bytes(b"weights")
                r.output(out)
                r.metric("auc", 0.75).metric("nan", float("nan"))
        self.assertIn("metric 'nan' of run 'train' ignored", err.getvalue())
        self.assertEqual(r.delivery, "spooled")
        [body] = self.spooled()
        self.assertEqual(body["id"], r.id)
        self.assertEqual(body["component"], "train")
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["params"], {"C": 1.0, "bad": "nan"})
        self.assertEqual(body["metrics"], {"auc": 0.75})
        self.assertEqual(body["owner"], "me")
        self.assertEqual(body["code_line"], line)
        self.assertTrue(body["code_file"].endswith("test_lineage.py"))
        self.assertEqual(body["inputs"][0]["content_hash"], hashlib.sha256(b"x\n1\n").hexdigest())
        self.assertEqual(body["inputs"][0]["kind"], "data")
        self.assertTrue(body["inputs"][0]["uri"].startswith("file://"))
        self.assertEqual(body["inputs"][1], {"name": "db.table", "kind": "labels", "uri": "duckdb://x", "content_hash": sightline.hash_value({"rows": 3})})
        self.assertEqual(body["outputs"][0]["kind"], "model")  # from the .onnx suffix
        self.assertEqual(body["outputs"][0]["content_hash"], hashlib.sha256(b"weights").hexdigest())
        self.assertLessEqual(body["start"], body["end"])

    def test_step_exception_propagates_and_the_run_is_logged_failed(self) -> None:
        with self.assertRaises(KeyError):
            with sightline.run("flaky"):
                raise KeyError("missing column")
        [body] = self.spooled()
        self.assertEqual(body["status"], "failed")
        self.assertIn("KeyError", body["notes"])

    def test_decorator_with_callable_artifacts_and_current_run(self) -> None:
        src = self.dir / "a.txt"
        src.write_text("a")

        @sightline.component_run("copy", inputs=lambda s, d: [s], outputs=lambda s, d: [{"path": d, "kind": "features"}], params={"mode": "fast"})
        def copy(s: Path, d: Path) -> int:
            d.write_text(s.read_text() * 2)
            sightline.current_run().metric("chars", 2)
            return 42

        self.assertEqual(copy(src, self.dir / "b.txt"), 42)
        self.assertIsNone(sightline.current_run())
        [body] = self.spooled()
        self.assertEqual(body["component"], "copy")
        self.assertEqual(body["code_line"], copy.__wrapped__.__code__.co_firstlineno)
        self.assertEqual(body["outputs"][0]["kind"], "features")
        self.assertEqual(body["outputs"][0]["content_hash"], hashlib.sha256(b"aa").hexdigest())
        self.assertEqual(body["metrics"], {"chars": 2.0})

    def test_async_decorator(self) -> None:
        @sightline.component_run("fetch")
        async def fetch() -> str:
            return "ok"

        self.assertEqual(asyncio.run(fetch()), "ok")
        self.assertEqual([b["component"] for b in self.spooled()], ["fetch"])

    def test_sdk_problems_are_warnings_never_errors(self) -> None:
        with captured_stderr() as err:
            with sightline.run("odd") as r:
                r.input(self.dir / "does-not-exist.csv")
                r.input(name="x", colour="blue")  # unknown field: this input is dropped
                r.output(name="")  # no name: dropped
        self.assertIn("does not exist", err.getvalue())
        self.assertIn("unknown artifact field", err.getvalue())
        [body] = self.spooled()
        self.assertEqual(len(body["inputs"]), 1)
        self.assertNotIn("content_hash", body["inputs"][0])
        self.assertEqual(body["outputs"], [])

    def test_git_state_outside_a_repository_and_without_git(self) -> None:
        with mock.patch.dict(os.environ, {"GIT_CEILING_DIRECTORIES": str(self.dir)}):
            self.assertEqual(sightline.git_state(self.dir), (None, None))
        with mock.patch.object(lineage.subprocess, "run", side_effect=FileNotFoundError("git")):
            self.assertEqual(sightline.git_state(self.dir), (None, None))

    def test_off_switch(self) -> None:
        with mock.patch.dict(os.environ, {"SIGHTLINE_LINEAGE": "off"}):
            with sightline.run("quiet") as r:
                pass
        self.assertIsNone(r.delivery)
        self.assertEqual(self.spooled(), [])


class DeliveryTests(LineageTestCase):
    def test_sent_to_a_running_daemon(self) -> None:
        fake = FakeDaemon()
        try:
            fake.write_info(self.home)
            with sightline.run("train") as r:
                pass
            self.assertEqual(r.delivery, "sent")
            self.assertEqual([b["id"] for b in fake.bodies], [r.id])
            self.assertEqual(self.spooled(), [])
        finally:
            fake.close()

    def test_refused_payload_is_warned_not_spooled(self) -> None:
        fake = FakeDaemon(status=400)
        try:
            fake.write_info(self.home)
            with captured_stderr() as err:
                with sightline.run("train") as r:
                    pass
            self.assertEqual(r.delivery, "refused")
            self.assertIn("refused", err.getvalue())
            self.assertEqual(self.spooled(), [])
        finally:
            fake.close()

    def test_daemon_error_or_slow_daemon_spools_within_the_timeout(self) -> None:
        fake = FakeDaemon(status=500)
        try:
            fake.write_info(self.home)
            with sightline.run("a") as r:
                pass
            self.assertEqual(r.delivery, "spooled")
        finally:
            fake.close()
        slow = FakeDaemon(delay=3.0)
        try:
            slow.write_info(self.home)
            t0 = time.monotonic()
            with sightline.run("b", timeout=0.3) as r2:
                pass
            self.assertLess(time.monotonic() - t0, 2.5)
            self.assertEqual(r2.delivery, "spooled")
        finally:
            slow.close()
        self.assertEqual(sorted(b["component"] for b in self.spooled()), ["a", "b"])

    def test_no_daemon_spools_atomically(self) -> None:
        with sightline.run("one"):
            pass
        with sightline.run("two"):
            pass
        names = os.listdir(self.home / "spool")
        self.assertEqual(len(names), 2)
        self.assertTrue(all(n.endswith(".jsonl") and not n.startswith(".") for n in names))
        self.assertEqual(oct((self.home / "spool" / names[0]).stat().st_mode & 0o777), "0o600")

    def test_spool_only_mode_never_contacts_the_daemon(self) -> None:
        fake = FakeDaemon()
        try:
            fake.write_info(self.home)
            with mock.patch.dict(os.environ, {"SIGHTLINE_LINEAGE": "spool"}):
                with sightline.run("batch") as r:
                    pass
            self.assertEqual(r.delivery, "spooled")
            self.assertEqual(fake.bodies, [])
            self.assertEqual([b["component"] for b in self.spooled()], ["batch"])
        finally:
            fake.close()

    def test_unwritable_spool_is_a_warning(self) -> None:
        self.home.mkdir(parents=True)
        (self.home / "spool").write_text("a file where the folder should be")
        with captured_stderr() as err:
            with sightline.run("lost") as r:
                pass
        self.assertEqual(r.delivery, "lost")
        self.assertIn("could not spool", err.getvalue())


if __name__ == "__main__":
    unittest.main()
