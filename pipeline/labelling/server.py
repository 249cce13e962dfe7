"""The study's web app: stdlib http.server, one page, a JSON API, images and sounds rendered server-side."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from pipeline.common.io import DataError
from pipeline.labelling.items import draw
from pipeline.labelling.page import page_html
from pipeline.labelling.store import Store, StudyError
from pipeline.labelling.tasks import Task

log = logging.getLogger("datasynth.label")
MAX_BODY = 4096
MAX_RATER = 64


@dataclass
class Study:
    """Everything a request needs: the task (items, ladder, answers, media), the store and the seed."""

    task: Task
    store: Store
    seed: int = 0

    def __post_init__(self) -> None:
        self._ids = sorted(self.task.items)
        self._draw_lock = threading.Lock()  # one rater in two tabs must not get one pair twice

    def next_item(self, rater: str) -> dict:
        with self._draw_lock:
            seen = self.store.seen(rater)
            pick = draw(self._ids, self.task.levels, seen, rater, self.seed)
            total = len(self._ids) * len(self.task.levels)
            if pick is None:
                return {"done": True, "answered": len(seen), "total": total}
            item = self.store.serve(rater, *pick)
        suffix = "png" if self.task.media == "image" else "wav"
        return {
            "done": False,
            "item": item.token,
            "media": f"/media/{item.token}.{suffix}",
            "prompt": self.task.items[item.item_id].prompt,
            "answered": len(seen),
            "total": total,
        }

    def media(self, token: str) -> bytes:
        item = self.store.served(token)
        data = self.task.render(self.task.items[item.item_id], item.level)
        self.store.mark_shown(token)
        return data

    def answer(self, body: dict) -> dict:
        rater = checked_rater(body.get("rater"))
        token = body.get("item")
        if not isinstance(token, str) or not token:
            raise StudyError("missing item id")
        item = self.store.served(token)
        if item.rater != rater:
            raise StudyError(f"item {token!r} was served to another rater")
        answer = body.get("answer")
        if answer not in self.task.values:
            raise StudyError(f"answer must be one of {list(self.task.values)}, got {answer!r}")
        client = body.get("client_seconds")
        if client is not None and (not isinstance(client, (int, float)) or not 0 <= client < 86400):
            raise StudyError(f"client_seconds must be a number of seconds, got {client!r}")
        self.store.answer(item, self.task.items[item.item_id].label, answer, client)
        return {"ok": True}


def checked_rater(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise StudyError("missing rater name")
    if len(value.strip()) > MAX_RATER:
        raise StudyError(f"rater name longer than {MAX_RATER} characters")
    return value.strip()


class Handler(BaseHTTPRequestHandler):
    study: Study  # set on the subclass made by make_server
    server_version = "datasynth-label"

    def do_GET(self) -> None:
        url = urlparse(self.path)
        try:
            if url.path == "/":
                self._send(HTTPStatus.OK, page_html(self.study.task).encode(), "text/html; charset=utf-8")
            elif url.path.startswith("/media/") and url.path[-4:] in (".png", ".wav"):
                self._send(HTTPStatus.OK, self.study.media(url.path[7:-4]), self.study.task.content_type)
            elif url.path == "/api/next":
                rater = checked_rater(parse_qs(url.query).get("rater", [""])[0])
                self._json(HTTPStatus.OK, self.study.next_item(rater))
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page {url.path}"})
        except StudyError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except DataError as exc:  # a file broke after the start-up check: say so, keep serving
            log.error("%s", exc)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)})

    def do_POST(self) -> None:
        if urlparse(self.path).path != "/api/answer":
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no such endpoint {self.path}"})
        try:
            self._json(HTTPStatus.OK, self.study.answer(self._body()))
        except StudyError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            raise StudyError("expected a small JSON body")
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError as exc:
            raise StudyError(f"body is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise StudyError("body must be a JSON object")
        return body

    def _json(self, status: HTTPStatus, data: dict) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib's signature
        log.debug("%s " + format, self.address_string(), *args)


def make_server(study: Study, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0: any free port; read it from server.server_address)."""
    handler = type("StudyHandler", (Handler,), {"study": study})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
