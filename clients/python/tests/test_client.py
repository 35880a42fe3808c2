"""Unit tests of the client's own logic: chunking, NaN refusal, daemon.json, error mapping.

No daemon: requests go to a fake transport or to a tiny stdlib HTTP server on 127.0.0.1.
(test/integration/python-client.test.ts runs the client against the real daemon.)
Run: python3 -m unittest discover -s clients/python/tests
"""

import json
import math
import os
import socket
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sightline import Client, SightlineError, check_records, chunked, read_daemon_info, sightline_home  # noqa: E402


class FakeClient(Client):
    """Answers from a script instead of HTTP and records every request body."""

    def __init__(self, answers: List[Any], **kwargs: Any) -> None:
        super().__init__(port=1, token="t", **kwargs)
        self.answers = list(answers)
        self.sent: List[Tuple[str, str, Any]] = []

    def _send(self, method: str, route: str, data: Optional[bytes]) -> Any:
        self.sent.append((method, route, json.loads(data) if data is not None else None))
        answer = self.answers.pop(0)
        if isinstance(answer, SightlineError):
            raise answer
        return answer


def predict_answer(n: int, request_id: str = "r", latency: float = 1.0) -> Dict[str, Any]:
    return {
        "model": {"id": "h", "name": "m", "version": "v1"},
        "execution_provider": "cpu",
        "request_id": request_id,
        "latency_ms": latency,
        "predictions": [{"id": "p{}".format(i), "outputs": {}, "score": 0.5, "label": None} for i in range(n)],
    }


def records(n: int) -> List[Dict[str, Any]]:
    return [{"distance": float(i), "origin": "SFO"} for i in range(n)]


class ChunkingTest(unittest.TestCase):
    def test_chunked_slices_in_order(self) -> None:
        self.assertEqual(chunked(list(range(12)), 5), [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]])
        self.assertEqual(chunked([1, 2], 5), [[1, 2]])
        self.assertEqual(chunked([], 5), [])
        with self.assertRaises(ValueError):
            chunked([1], 0)

    def test_predict_splits_and_concatenates_with_one_request_id(self) -> None:
        c = FakeClient([predict_answer(5, latency=2.0), predict_answer(5, latency=3.0), predict_answer(2, latency=4.0)], batch_size=5)
        keys = ["k{}".format(i) for i in range(12)]
        attrs = [{"carrier": str(i)} for i in range(12)]
        res = c.predict("m@v1", records(12), join_keys=keys, attributes=attrs)
        bodies = [b for _, _, b in c.sent]
        self.assertEqual([len(b["records"]) for b in bodies], [5, 5, 2])
        self.assertEqual([b["records"][0]["distance"] for b in bodies], [0.0, 5.0, 10.0])
        self.assertEqual([k for b in bodies for k in b["join_keys"]], keys)
        self.assertEqual([a for b in bodies for a in b["attributes"]], attrs)
        self.assertEqual(len({b["request_id"] for b in bodies}), 1)
        self.assertEqual(len(res["predictions"]), 12)
        self.assertEqual(res["latency_ms"], 9.0)
        self.assertTrue(all(route == "/v1/predict" and method == "POST" for method, route, _ in c.sent))

    def test_one_chunk_sends_only_what_was_given(self) -> None:
        c = FakeClient([predict_answer(3)])
        c.predict("m", records(3))
        self.assertEqual(set(c.sent[0][2]), {"model", "records"})
        c = FakeClient([predict_answer(3), predict_answer(3)], batch_size=3)
        c.predict("m", records(6), request_id="mine", durable=True)
        self.assertEqual([b["request_id"] for _, _, b in c.sent], ["mine", "mine"])
        self.assertTrue(c.sent[0][2]["durable"])

    def test_refusal_in_a_later_chunk_names_the_callers_row(self) -> None:
        refusal = SightlineError("missing_feature", 'records[1] lacks feature "distance" (numeric)', ["records", 1, "distance"])
        c = FakeClient([predict_answer(5), refusal], batch_size=5)
        with self.assertRaises(SightlineError) as cm:
            c.predict("m", records(8))
        e = cm.exception
        self.assertEqual((e.code, e.path), ("missing_feature", ["records", 6, "distance"]))
        self.assertIn("records[6] lacks", e.message)
        self.assertIn("first 5 rows of this batch were already sent", e.message)

    def test_labels_and_logged_predictions_are_chunked_too(self) -> None:
        c = FakeClient([{"logged": 2}, {"logged": 1}], batch_size=2)
        res = c.log_labels([{"join_key": "a", "value": 1}, {"join_key": "b", "value": 0}, {"prediction_id": "x", "value": True}])
        self.assertEqual(res, {"logged": 3})
        self.assertEqual([len(b["labels"]) for _, _, b in c.sent], [2, 1])
        self.assertEqual(c.sent[0][2]["source"], "python")
        c = FakeClient([{"ids": ["a", "b"], "logged": 2}, {"ids": ["c"], "logged": 1}], batch_size=2)
        res = c.log_predictions("ext", "v0", [{"features": {"x": i}} for i in range(3)])
        self.assertEqual(res, {"ids": ["a", "b", "c"], "logged": 3})
        self.assertEqual(c.sent[0][2]["model"], {"name": "ext", "version": "v0"})

    def test_shape_and_emptiness_are_checked_before_sending(self) -> None:
        c = FakeClient([])
        for call, code in (
            (lambda: c.predict("m", records(3), join_keys=["a"]), "bad_shape"),
            (lambda: c.predict("m", records(2), attributes=[{}]), "bad_shape"),
            (lambda: c.predict("m", []), "invalid_request"),
            (lambda: c.predict("m", ["not a dict"]), "invalid_request"),  # type: ignore[list-item]
            (lambda: c.label(value=1), "invalid_request"),
            (lambda: c.log_labels([]), "invalid_request"),
        ):
            with self.assertRaises(SightlineError) as cm:
                call()
            self.assertEqual(cm.exception.code, code)
        self.assertEqual(c.sent, [])


class NonFiniteTest(unittest.TestCase):
    def test_nan_and_inf_are_refused_naming_record_and_feature(self) -> None:
        for bad in (math.nan, math.inf, -math.inf):
            rows = records(4)
            rows[2]["distance"] = bad
            with self.assertRaises(SightlineError) as cm:
                check_records(rows)
            self.assertEqual(cm.exception.code, "bad_value")
            self.assertEqual(cm.exception.path, ["records", 2, "distance"])
            self.assertIn("records[2].distance", cm.exception.message)

    def test_finite_values_pass(self) -> None:
        rows = [{"a": 1, "b": True, "c": None, "d": "x", "e": 1e308, "f": 10**30}]
        self.assertEqual(check_records(iter(rows)), rows)

    def test_predict_refuses_nan_without_sending_anything(self) -> None:
        c = FakeClient([], batch_size=2)
        rows = records(5)
        rows[4]["distance"] = math.nan
        with self.assertRaises(SightlineError) as cm:
            c.predict("m", rows)
        self.assertEqual((cm.exception.code, cm.exception.path), ("bad_value", ["records", 4, "distance"]))
        with self.assertRaises(SightlineError) as cm:
            c.predict("m", records(2), attributes=[{}, {"w": math.inf}])
        self.assertEqual(cm.exception.path, ["attributes", 1, "w"])
        self.assertEqual(c.sent, [])

    def test_logged_predictions_and_labels_refuse_nan(self) -> None:
        c = FakeClient([])
        cases = (
            (lambda: c.log_predictions("m", "v", [{"features": {"x": 1}}, {"features": {"x": math.nan}}]), ["predictions", 1, "features", "x"]),
            (lambda: c.log_predictions("m", "v", [{"features": {"x": 1}, "score": math.inf}]), ["predictions", 0, "score"]),
            (lambda: c.log_labels([{"join_key": "a", "value": math.nan}]), ["labels", 0, "value"]),
            (lambda: c.label(join_key="a", value=math.inf), ["labels", 0, "value"]),
        )
        for call, path in cases:
            with self.assertRaises(SightlineError) as cm:
                call()
            self.assertEqual((cm.exception.code, cm.exception.path), ("bad_value", path))
        self.assertEqual(c.sent, [])

    def test_nan_nested_anywhere_never_becomes_invalid_json(self) -> None:
        c = FakeClient([])
        with self.assertRaises(SightlineError) as cm:
            c.log_predictions("m", "v", [{"features": {"x": 1}, "outputs": {"p": [0.1, math.nan]}}])
        self.assertEqual(cm.exception.code, "bad_value")
        self.assertEqual(c.sent, [])


class DaemonFileTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.home = Path(self.tmp.name)

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def write(self, info: Any) -> None:
        (self.home / "daemon.json").write_text(info if isinstance(info, str) else json.dumps(info))

    def test_reads_port_and_token_from_home(self) -> None:
        self.write({"port": 4567, "host": "127.0.0.1", "token": "s3cret", "pid": 1, "trace": "t.duckdb", "protocol": 1, "started_at": "x"})
        self.assertEqual(read_daemon_info(self.home)["port"], 4567)
        c = Client(home=self.home)
        self.assertEqual((c.port, c.base_url), (4567, "http://127.0.0.1:4567"))
        self.assertNotIn("s3cret", repr(c))
        self.assertEqual(Client(port=1111, home=self.home).port, 1111)

    def test_sightline_home_env_and_default(self) -> None:
        self.write({"port": 4568, "token": "t"})
        with mock.patch.dict(os.environ, {"SIGHTLINE_HOME": str(self.home)}):
            self.assertEqual(sightline_home(), self.home.resolve())
            self.assertEqual(Client().port, 4568)
        self.assertEqual(sightline_home({}), Path.home() / ".sightline")
        self.assertEqual(sightline_home({"SIGHTLINE_HOME": ""}), Path.home() / ".sightline")

    def test_missing_file_says_how_to_start_a_daemon(self) -> None:
        with self.assertRaises(SightlineError) as cm:
            Client(home=self.home / "nowhere")
        self.assertEqual(cm.exception.code, "unavailable")
        self.assertIn("sightline serve", cm.exception.message)
        self.assertIn("daemon.json", cm.exception.message)

    def test_explicit_port_and_token_need_no_file(self) -> None:
        c = Client(port=1234, token="t", home=self.home / "nowhere")
        self.assertEqual((c.port, c.daemon_file), (1234, None))

    def test_unreadable_file_is_bad_file(self) -> None:
        for text in ("{not json", json.dumps({"port": "80", "token": "t"}), json.dumps([1])):
            self.write(text)
            with self.assertRaises(SightlineError) as cm:
                Client(home=self.home)
            self.assertEqual(cm.exception.code, "bad_file")


class FakeDaemon(BaseHTTPRequestHandler):
    """Accepts only the current token; `/slow` never answers in time; `/text` is not JSON."""

    token = "new"
    seen: List[Dict[str, Optional[str]]] = []

    def do_GET(self) -> None:  # noqa: N802
        FakeDaemon.seen.append({"auth": self.headers.get("Authorization"), "host": self.headers.get("Host"), "path": self.path})
        if self.path == "/slow":
            time.sleep(1.0)
        if self.headers.get("Authorization") != "Bearer " + FakeDaemon.token:
            return self.answer(401, {"error": {"code": "unauthorized", "message": "missing or wrong token"}})
        if self.path == "/v1/health":
            return self.answer(200, {"status": "ok"})
        if self.path == "/text":
            return self.answer(500, "<html>oops</html>")
        return self.answer(404, {"error": {"code": "unknown_model", "message": "no model", "path": ["model"]}})

    def answer(self, status: int, body: Any) -> None:
        text = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args: Any) -> None:
        pass


class HttpTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDaemon)
        cls.port = cls.server.server_address[1]
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self) -> None:
        FakeDaemon.token = "new"
        FakeDaemon.seen = []

    def test_sends_bearer_token_and_loopback_host(self) -> None:
        self.assertEqual(Client(port=self.port, token="new").health(), {"status": "ok"})
        self.assertEqual(FakeDaemon.seen[0]["auth"], "Bearer new")
        self.assertEqual(FakeDaemon.seen[0]["host"], "127.0.0.1:{}".format(self.port))

    def test_error_body_becomes_sightline_error(self) -> None:
        c = Client(port=self.port, token="new")
        with self.assertRaises(SightlineError) as cm:
            c.request("GET", "/v1/nope")
        e = cm.exception
        self.assertIsInstance(e, Exception)
        self.assertEqual((e.code, e.message, e.path), ("unknown_model", "no model", ["model"]))
        with self.assertRaises(SightlineError) as cm:
            Client(port=self.port, token="old").health()
        self.assertEqual(cm.exception.code, "unauthorized")
        with self.assertRaises(SightlineError) as cm:
            c.request("GET", "/text")
        self.assertEqual(cm.exception.code, "internal")
        self.assertIn("non-JSON", cm.exception.message)

    def test_timeout(self) -> None:
        with self.assertRaises(SightlineError) as cm:
            Client(port=self.port, token="new", timeout=0.2).request("GET", "/slow")
        self.assertEqual(cm.exception.code, "timeout")
        self.assertIn("timeout", cm.exception.message)

    def test_connection_refused_is_unavailable(self) -> None:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
        s.close()
        with self.assertRaises(SightlineError) as cm:
            Client(port=closed_port, token="t").health()
        self.assertEqual(cm.exception.code, "unavailable")
        self.assertIn("Is it running?", cm.exception.message)

    def test_ignores_http_proxy_settings(self) -> None:
        with mock.patch.dict(os.environ, {"http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "no_proxy": ""}):
            self.assertEqual(Client(port=self.port, token="new").health(), {"status": "ok"})

    def test_follows_a_restarted_daemon_through_daemon_json(self) -> None:
        with tempfile.TemporaryDirectory() as home:
            path = Path(home) / "daemon.json"
            path.write_text(json.dumps({"port": self.port, "token": "old"}))
            c = Client(home=home)
            path.write_text(json.dumps({"port": self.port, "token": "new"}))
            self.assertEqual(c.health(), {"status": "ok"})
            self.assertEqual([s["auth"] for s in FakeDaemon.seen], ["Bearer old", "Bearer new"])


if __name__ == "__main__":
    unittest.main()
