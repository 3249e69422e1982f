"""A local API Gateway HTTP API: every HttpApi route of the template, served as
payload-format 2.0 events, with Lambda REQUEST authorizers run as API Gateway runs
them (identity sources, simple or IAM-policy responses, caching, context passing).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scripts.devstack.runtime import InvokeResult, Runtime
from scripts.devstack.template import ACCOUNT_ID, REGION, Authorizer, HttpRoute, Stack

_TEXT_TYPES = re.compile(
    r"^(text/.*|application/(.*\+)?(json|xml)|application/(x-www-form-urlencoded|javascript))",
    re.IGNORECASE,
)
_MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit


@dataclass(frozen=True)
class Request:
    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_reply(status: int, message: str) -> Reply:
    return Reply(
        status, [("content-type", "application/json")], json.dumps({"message": message}).encode()
    )


class _CompiledRoute:
    def __init__(self, route: HttpRoute) -> None:
        self.route = route
        self.greedy = route.path.endswith("+}")
        pattern = ""
        self.literal_segments = 0
        for segment in route.path.strip("/").split("/") if route.path != "$default" else []:
            if segment.startswith("{") and segment.endswith("+}"):
                pattern += f"/(?P<{segment[1:-2]}>.+)"
            elif segment.startswith("{") and segment.endswith("}"):
                pattern += f"/(?P<{segment[1:-1]}>[^/]+)"
            else:
                pattern += "/" + re.escape(segment)
                self.literal_segments += 1
        self.regex = re.compile(f"^{pattern or '/'}$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if self.route.path == "$default":
            return None
        if self.route.method not in (method, "ANY"):
            return None
        found = self.regex.match(path)
        return found.groupdict() if found else None

    @property
    def precedence(self) -> tuple[int, int, int]:
        # API Gateway: the most specific route wins; literal segments over
        # parameters over greedy paths, a named method over ANY.
        return (
            0 if self.greedy else 1,
            self.literal_segments,
            0 if self.route.method == "ANY" else 1,
        )


class Gateway:
    def __init__(self, stack: Stack, runtime: Runtime) -> None:
        self.stack = stack
        self.runtime = runtime
        self.routes = sorted(
            (_CompiledRoute(r) for r in stack.http_routes()),
            key=lambda c: c.precedence,
            reverse=True,
        )
        self.default = next((r.route for r in stack.http_routes() if r.path == "$default"), None)
        self.authorizers = stack.authorizers()
        self._auth_cache: dict[tuple[str, str, str], tuple[float, bool, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------ dispatching
    def find_route(self, method: str, path: str) -> tuple[HttpRoute, dict[str, str]] | None:
        for compiled in self.routes:
            params = compiled.match(method, path)
            if params is not None:
                return compiled.route, params
        return (self.default, {}) if self.default else None

    def handle(self, request: Request) -> Reply:
        found = self.find_route(request.method, request.raw_path)
        if found is None:
            return _json_reply(404, "Not Found")
        route, path_params = found
        event = self.build_event(request, route, path_params)
        if route.authorizer is not None:
            denied = self._authorize(route, event)
            if denied is not None:
                return denied
        result = self.runtime.invoke(route.function_id, event)
        return self.build_reply(result)

    # ---------------------------------------------------------------- events
    def build_event(
        self, request: Request, route: HttpRoute, path_params: Mapping[str, str]
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for name, value in request.headers:
            key = name.lower()
            if key == "cookie":
                cookies.extend(part.strip() for part in value.split(";") if part.strip())
                continue
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        query: dict[str, str] = {}
        for key, value in parse_qsl(request.raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        now = datetime.now(UTC)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": request.raw_path,
            "rawQueryString": request.raw_query,
            "headers": headers,
            "requestContext": {
                "accountId": ACCOUNT_ID,
                "apiId": self.stack.resolve({"Ref": route.api_id})
                if route.api_id in self.stack.resources
                else "localapi",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0],
                "http": {
                    "method": request.method,
                    "path": request.raw_path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": request.source_ip,
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex[:20],
                "routeKey": route.route_key,
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(now.timestamp() * 1000),
            },
            "isBase64Encoded": False,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if path_params:
            event["pathParameters"] = dict(path_params)
        if request.body:
            content_type = headers.get("content-type", "")
            if _TEXT_TYPES.match(content_type):
                try:
                    event["body"] = request.body.decode("utf-8")
                except UnicodeDecodeError:
                    event["body"] = base64.b64encode(request.body).decode()
                    event["isBase64Encoded"] = True
            else:
                event["body"] = base64.b64encode(request.body).decode()
                event["isBase64Encoded"] = True
        return event

    def build_reply(self, result: InvokeResult) -> Reply:
        if not result.ok:
            timed_out = bool(result.error and result.error.get("errorType") == "Sandbox.Timedout")
            return _json_reply(
                503 if timed_out else 500,
                "Service Unavailable" if timed_out else "Internal Server Error",
            )
        payload = result.payload
        # Payload 2.0: a result without statusCode is the body of a 200 JSON response.
        if not (isinstance(payload, dict) and "statusCode" in payload):
            body = payload if isinstance(payload, str) else json.dumps(payload)
            return Reply(200, [("content-type", "application/json")], body.encode())
        headers = [(k.lower(), str(v)) for k, v in (payload.get("headers") or {}).items()]
        for name, values in (payload.get("multiValueHeaders") or {}).items():
            headers.extend((name.lower(), str(v)) for v in values)
        headers.extend(("set-cookie", cookie) for cookie in payload.get("cookies") or [])
        raw_body = payload.get("body") or ""
        try:
            body = (
                base64.b64decode(raw_body)
                if payload.get("isBase64Encoded")
                else str(raw_body).encode()
            )
            status = int(payload["statusCode"])
        except (ValueError, TypeError):
            return _json_reply(500, "Internal Server Error")
        if not any(name == "content-type" for name, _ in headers):
            headers.append(("content-type", "application/json"))
        return Reply(status, headers, body)

    # ----------------------------------------------------------- authorizers
    def _authorize(self, route: HttpRoute, event: dict[str, Any]) -> Reply | None:
        authorizer = self.authorizers[(route.api_id, route.authorizer or "")]
        identity = self._identity(authorizer, event)
        if identity is None:
            return _json_reply(401, "Unauthorized")
        cache_key = (authorizer.name, route.route_key, "\x00".join(identity))
        now = time.monotonic()
        with self._cache_lock:
            cached = self._auth_cache.get(cache_key)
        if cached and cached[0] > now:
            allowed, context = cached[1], cached[2]
        else:
            outcome = self._invoke_authorizer(authorizer, route, event, identity)
            if outcome is None:
                return _json_reply(500, "Internal Server Error")
            allowed, context = outcome
            if authorizer.reauthorize_every > 0:
                with self._cache_lock:
                    self._auth_cache[cache_key] = (
                        now + authorizer.reauthorize_every,
                        allowed,
                        context,
                    )
        if not allowed:
            return _json_reply(403, "Forbidden")
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None

    @staticmethod
    def _identity(authorizer: Authorizer, event: dict[str, Any]) -> list[str] | None:
        values = []
        for header in authorizer.identity_headers:
            value = event["headers"].get(header.lower())
            if not value:
                return None
            values.append(value)
        for name in authorizer.identity_query:
            value = (event.get("queryStringParameters") or {}).get(name)
            if not value:
                return None
            values.append(value)
        return values

    def route_arn(self, route: HttpRoute, event: dict[str, Any]) -> str:
        method = event["requestContext"]["http"]["method"]
        api_id = event["requestContext"]["apiId"]
        return (
            f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{api_id}/$default/{method}"
            f"{event['rawPath']}"
        )

    def _invoke_authorizer(
        self, authorizer: Authorizer, route: HttpRoute, event: dict[str, Any], identity: list[str]
    ) -> tuple[bool, dict[str, Any]] | None:
        route_arn = self.route_arn(route, event)
        auth_event = {
            "version": "2.0",
            "type": "REQUEST",
            "routeArn": route_arn,
            "identitySource": identity,
            **{k: v for k, v in event.items() if k not in ("version", "body", "isBase64Encoded")},
        }
        result = self.runtime.invoke(authorizer.function_id, auth_event)
        if not result.ok or not isinstance(result.payload, dict):
            return None
        payload = result.payload
        context = payload.get("context") or {}
        if authorizer.simple_responses:
            return bool(payload.get("isAuthorized") is True), context
        return _policy_allows(payload.get("policyDocument") or {}, route_arn), context


def _policy_allows(policy: Mapping[str, Any], route_arn: str) -> bool:
    allowed = False
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        resources = statement.get("Resource", [])
        resources = resources if isinstance(resources, list) else [resources]
        if not any(fnmatch.fnmatchcase(route_arn, pattern) for pattern in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


class _Handler(BaseHTTPRequestHandler):
    gateway: Gateway
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            reply = _json_reply(413, "Request Entity Too Large")
        else:
            split = urlsplit(self.path)
            request = Request(
                method=self.command,
                raw_path=split.path,
                raw_query=split.query,
                headers=list(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
                source_ip=self.client_address[0],
            )
            reply = self.gateway.handle(request)
        self.send_response(reply.status)
        for name, value in reply.headers:
            if name not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler looks up do_<METHOD> and answers 501 when it is missing;
        # API Gateway routes every method (TRACE, QUERY, FOO ...) and answers a 404
        # JSON message for a method and path without a route.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        return  # the functions' own logs say what happened


class _GatewayServer(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: an on-sale's burst of connections
    # would be reset by the kernel before the gateway ever saw them.
    request_queue_size = 1024


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("GatewayHandler", (_Handler,), {"gateway": gateway})
    server = _GatewayServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="gateway", daemon=True).start()
    return server
