"""The studio's web server: plain http.server with a route table, a cap on request bodies and one rule for errors.

Why the standard library rather than a web framework: the studio serves one person on their own machine, a
handful of pages and JSON endpoints; http.server's threading server does that with no new dependency (FastAPI and
uvicorn are only transitive dependencies of an optional extra here). Uploads are raw request bodies (the browser
sends the file's bytes), so no multipart parser is needed either.

Errors: a DueloError (bad input the user can fix) becomes its message with status 400; anything else is logged
with its traceback on the terminal and the browser gets one line, never the traceback.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from duelo.errors import ConfigError, DueloError
from duelo.registry import Registry

DEFAULT_MAX_UPLOAD_BYTES = 10 * 2**20      # an uploaded image; larger bodies are refused before they are read
POST_HEADER = "X-Duelo-Studio"


class StudioError(DueloError):
    """A request the studio refuses, with the HTTP status to answer (the message is shown on the page)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    path:   str
    query:  dict[str, list[str]]
    body:   bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The last value of query parameter `name` (a blank value counts as absent)."""
        values = [v for v in self.query.get(name, []) if v.strip()]
        return values[-1].strip() if values else default

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise StudioError(f"the request lacks `{name}`")
        return value

    def integer(self, name: str, default: int | None = None, low: int = 0, high: int = 2**63 - 1) -> int | None:
        return self._bounded(name, default, low, high, int, "a whole number")

    def number(self, name: str, default: float | None = None, low: float = 0.0, high: float = 1.0) -> float | None:
        return self._bounded(name, default, low, high, float, "a number")

    def _bounded(self, name: str, default, low, high, kind: type, what: str):
        """The field `name` as `kind` within [low, high], `default` when absent; StudioError naming it otherwise."""
        value = self.get(name)
        if value is None:
            return default
        try:
            number = kind(value)
        except ValueError:
            raise StudioError(f"`{name}` must be {what}, got {value!r}") from None
        if not low <= number <= high:
            raise StudioError(f"`{name}` {number} is out of range: use {low}..{high}")
        return number


@dataclass
class Reply:
    body:         bytes
    content_type: str = "text/html; charset=utf-8"
    status:       int = 200
    headers:      dict[str, str] = field(default_factory=dict)

    @staticmethod
    def json(value: Any, status: int = 200) -> "Reply":
        return Reply(json.dumps(value, allow_nan=False).encode(), "application/json", status)

    @staticmethod
    def text(value: str, content_type: str = "text/html; charset=utf-8", status: int = 200) -> "Reply":
        return Reply(value.encode("utf-8"), content_type, status)


Handler = Callable[[Any, Request], Reply]     # (the studio, the request) -> the reply
ROUTES: Registry[Handler] = Registry("studio route")


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register a handler for `METHOD /path` (exact paths: identifiers travel in the query string)."""
    return ROUTES.register(f"{method} {path}")


def check_host(host: str, allow_remote: bool) -> bool:
    """Whether `host` is a loopback address or name. A non-loopback host is refused unless `allow_remote`: the
    studio has no login, so on another interface anyone who reaches the port could use the runs and models."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not allow_remote:
        raise ConfigError(f"--host {host} is not a loopback address: the studio has no login, so anyone who can "
                          f"reach that interface could read your runs. Keep the default 127.0.0.1 (use an SSH "
                          f"tunnel to reach it from elsewhere), or pass --allow-remote if you accept that")
    return loopback


def refused(studio: Any, request: Request) -> str | None:
    """Why a request is refused before any route sees it, or None.

    - A Host header the studio does not answer to: a page on another site can make the browser send requests to
      127.0.0.1 under its own name (DNS rebinding); the studio answers only to the names it listens on.
    - A POST without the header X-Duelo-Studio: the studio's own pages send it; a form on another site cannot
      (a browser sends a custom header across sites only after a CORS preflight, which the studio never grants).
    """
    host = request.headers.get("host", "").lower()
    if studio.hosts and host not in studio.hosts:
        return (f"this studio answers only at {', '.join(sorted(studio.hosts))}, not {host!r}: open the address "
                f"`duelo studio` printed")
    if request.method == "POST" and request.headers.get(POST_HEADER.lower()) != "1":
        return f"a POST must carry the header {POST_HEADER}: 1 (the studio's pages send it; other sites cannot)"
    return None


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a loopback studio answers to (any name that reaches a loopback port does otherwise)."""
    names = {"127.0.0.1", "localhost", "[::1]", (f"[{host}]" if ":" in host else host).lower()}
    return frozenset({f"{name}:{port}" for name in names} | (names if port == 80 else set()))   # :80 is left out


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def error_reply(path: str, message: str, status: int) -> Reply:
    if is_api(path):
        return Reply.json({"error": message}, status)
    from duelo.studio.pages import message_page

    return Reply.text(message_page(message), status=status)


def dispatch(studio: Any, request: Request) -> Reply:
    """The reply to one request: its route's, or the error message; never a traceback."""
    key = f"{request.method} {request.path}"
    try:
        if key not in ROUTES:
            raise StudioError(f"nothing at {request.method} {request.path}", 404)
        return ROUTES.get(key)(studio, request)
    except StudioError as error:
        return error_reply(request.path, str(error), error.status)
    except DueloError as error:
        return error_reply(request.path, str(error), 400)
    except MemoryError:
        return error_reply(request.path, "out of memory: ask for fewer or smaller outputs", 500)
    except Exception:                                             # noqa: BLE001 - the browser gets no traceback
        traceback.print_exc(file=sys.stderr)
        return error_reply(request.path, "internal error: the studio's terminal shows the details", 500)


class StudioHandler(BaseHTTPRequestHandler):
    """Turns http.server's calls into Requests for `dispatch`; the server object carries the studio."""

    server_version = "duelo-studio"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        studio = self.server.studio                               # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        body = b""
        if method == "POST":
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                length = -1
            if length < 0 or length > studio.max_upload_bytes:
                limit = studio.max_upload_bytes / 2**20
                self.close_connection = True                      # the body stays unread
                self._send(error_reply(parts.path, f"the upload is larger than the studio's limit of {limit:g} MB "
                                                   f"(duelo studio --max-upload-mb)", 413))
                return
            body = self.rfile.read(length)
        request = Request(method, parts.path, parse_qs(parts.query, keep_blank_values=True), body,
                          {k.lower(): v for k, v in self.headers.items()})
        refusal = refused(studio, request)
        self._send(error_reply(parts.path, refusal, 403) if refusal else dispatch(studio, request))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; "
                                                    "media-src 'self'; style-src 'self'; script-src 'self'")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:      # noqa: A002 - http.server's signature
        if self.server.studio.verbose:                            # type: ignore[attr-defined]
            super().log_message(format, *args)


def make_server(studio: Any, host: str, port: int) -> ThreadingHTTPServer:
    """A bound (not yet serving) server; port 0 picks a free port (server.server_address[1])."""
    import socket

    server_class = type("StudioServer", (ThreadingHTTPServer,),
                        {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET})
    try:
        server = server_class((host, port), StudioHandler)
    except OSError as error:
        raise ConfigError(f"cannot listen on {host}:{port} ({error.strerror or error}); pick another --port, or "
                          f"--port 0 for any free one") from None
    server.daemon_threads = True
    server.studio = studio                                        # type: ignore[attr-defined]
    return server
