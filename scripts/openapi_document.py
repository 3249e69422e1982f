"""openapi.json, the API's contract, built from the functions' own resolvers.

    scripts/openapi           write openapi.json at the repository root
    scripts/openapi --check   exit 1 (and say why) when openapi.json is not what the code says

Each HTTP function's resolver documents its own route (Powertools' OpenAPI generation from
the route's parameters and pydantic models); this module merges them into one OpenAPI 3.1
document and adds what only the deployment knows:

- the operation's id, summary and tag from template.yaml (the function's logical id,
  Description and area), its description from the function's module docstring;
- its security: `accessToken` behind the template's authorizer, none for routes marked
  `Authorizer: NONE`, or what the route declares (`deviceToken`, bearer + device);
- the `Idempotency-Key` header on routes guarded by `idempotent_route()`;
- every error it can answer as `application/problem+json` with one `Problem` schema:
  the statuses the route declares (`openapi_extensions=problems.documented(...)`) and those that
  every route of its kind answers (400/415 for a body, 422 for any input, 401 behind a
  token, 404 for a path id, 429 rate limits, the idempotency guard's 400/409/422).

Powertools merges components with a plain dict update; here two components with one name
and different shapes fail the build, as does a template route no function documents.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from admitone.http.idempotency import IdempotencyGuard
from admitone.http.problems import ERRORS_EXTENSION, PROBLEM_SCHEMA, error_response
from admitone.http.security import ACCESS_SCHEME, SECURITY_SCHEMES
from scripts.devstack import failures
from scripts.devstack.failures import FAILED, ToolFailure
from scripts.devstack.template import HttpRoute, Stack

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = "openapi.json"
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_POWERTOOLS_DEFAULTS = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": (
        "A key of your choosing (8 to 255 printable ASCII characters), one per intended "
        "operation: the same key and body replay the first answer (`Idempotent-Replayed: "
        "true`), the same key with another body is 422 IDEMPOTENCY_KEY_REUSED, and while the "
        "first request still runs, 409 DUPLICATE_IN_PROGRESS."
    ),
    "schema": {"type": "string", "minLength": 8, "maxLength": 255},
}


class ContractError(Exception):
    """The document cannot be built as the code and the template stand."""


@dataclass(frozen=True)
class _Function:
    logical_id: str
    route: HttpRoute
    area: str
    summary: str
    module: Any


def _functions(stack: Stack) -> Iterator[_Function]:
    for route in sorted(stack.http_routes(), key=lambda r: (r.path, r.method)):
        spec = stack.function(route.function_id)
        relative = spec.code_uri.relative_to(stack.root)
        module = importlib.import_module(".".join((*relative.parts, spec.handler_module)))
        description = str(stack.properties(route.function_id).get("Description", ""))
        # "POST /orders - hold the seats ..." -> "Hold the seats ..."
        summary = description.split(" - ", 1)[-1].strip().rstrip(".")
        yield _Function(
            logical_id=route.function_id,
            route=route,
            area=relative.parts[1],
            summary=summary[:1].upper() + summary[1:],
            module=module,
        )


def _is_idempotent(app: Any, method: str, path: str) -> bool:
    # Powertools keeps a resolver's routes in these two lists; the guard is a route middleware.
    for route in (*app._static_routes, *app._dynamic_routes):
        if route.method == method.upper() and route.openapi_path == path:
            return any(isinstance(m, IdempotencyGuard) for m in route.middlewares)
    return False


def _merge_components(into: dict[str, Any], new: Mapping[str, Any], owner: str) -> None:
    for name, shape in new.items():
        if name in _POWERTOOLS_DEFAULTS:
            continue
        if name in into and into[name] != shape:
            raise ContractError(
                f"two components named {name!r} with different shapes (the second from {owner}):"
                " rename one of the models"
            )
        into[name] = shape


def _error_statuses(
    operation: Mapping[str, Any], path: str, *, own: set[int], idempotent: bool
) -> set[int]:
    statuses = {int(code) for code in operation.get("responses", {}) if int(code) >= 400}
    statuses |= own
    statuses.discard(422)  # Powertools' HTTPValidationError; re-added below when it applies
    statuses.add(429)  # rate limits run before every route
    if operation.get("parameters") or "requestBody" in operation or "{" in path:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 415}
    if "{" in path:
        statuses.add(404)
    if any(requirement for requirement in operation.get("security", [])):
        statuses.add(401)
    if idempotent:
        statuses |= {400, 409, 422}
    return statuses


def _operation(function: _Function, operation: dict[str, Any]) -> dict[str, Any]:
    route = function.route
    if "security" not in operation:
        operation["security"] = [] if route.authorizer is None else [{ACCESS_SCHEME: []}]
    own_errors = set(operation.pop(ERRORS_EXTENSION, ()))
    idempotent = _is_idempotent(function.module.app, route.method, route.path)
    if idempotent:
        operation["parameters"] = [*operation.get("parameters", []), _IDEMPOTENCY_KEY]
    # API Gateway itself answers a request without an Authorization header.
    behind_gateway_auth = route.authorizer is not None
    responses = operation.get("responses", {})
    declared = {
        int(code): answer
        for code, answer in responses.items()
        # Powertools' own 422 (HTTPValidationError): every error is a Problem here.
        if "HTTPValidationError" not in json.dumps(answer)
    }
    errors = {}
    statuses = _error_statuses(operation, route.path, own=own_errors, idempotent=idempotent)
    for status in sorted(statuses):
        own = declared.get(status, {})
        answer = error_response(
            status,
            description=own.get("description"),
            gateway_answers=status == 401 and behind_gateway_auth,
        )
        # A route may answer an error status with a body of its own too (health's report).
        answer["content"] = {**answer["content"], **own.get("content", {})}
        errors[str(status)] = answer
    successes = {
        str(code): {"description": answer["description"]} if code == 204 else answer
        for code, answer in declared.items()
        if code < 400
    }
    docstring = inspect.getdoc(function.module) or ""
    return {
        "operationId": function.logical_id.removesuffix("Function"),
        "summary": function.summary,
        "description": docstring,
        "tags": [function.area],
        **{
            key: value
            for key, value in operation.items()
            if key not in ("operationId", "summary", "description", "tags", "responses")
        },
        "responses": dict(sorted({**successes, **errors}.items())),
    }


def build(root: Path = ROOT) -> dict[str, Any]:
    """The whole API's OpenAPI document, as the functions and the template stand."""
    stack = Stack.load(root, root / "template.yaml")
    version = tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    tags: set[str] = set()
    for function in _functions(stack):
        route = function.route
        own = json.loads(
            function.module.app.get_openapi_json_schema(security_schemes=SECURITY_SCHEMES)
        )
        documented = {
            (method, path) for path, item in own.get("paths", {}).items() for method in item
        }
        wanted = (route.method.lower(), route.path)
        if documented != {wanted}:
            raise ContractError(
                f"{function.logical_id} is deployed as {route.route_key} but its resolver "
                f"documents {sorted(documented)}"
            )
        _merge_components(schemas, own.get("components", {}).get("schemas", {}), route.route_key)
        operation = own["paths"][route.path][wanted[0]]
        paths.setdefault(route.path, {})[wanted[0]] = _operation(function, operation)
        tags.add(function.area)
    _merge_components(schemas, {"Problem": PROBLEM_SCHEMA}, "admitone.http.problems")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "admitone API",
            "version": version,
            "summary": "Event ticketing: catalog, checkout, tickets, the gate and the money.",
            "description": (
                "Every error is an RFC 9457 `application/problem+json` document with a stable "
                "`code`; input errors list each offending field in `errors[]`. Money is in "
                "integer cents. Times are ISO 8601 with an offset (`Z` in answers)."
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name} for name in sorted(tags)],
        "paths": {
            path: dict(sorted(item.items(), key=lambda kv: _METHODS.index(kv[0])))
            for path, item in sorted(paths.items())
        },
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    return failures.main("scripts/openapi", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/openapi",
        description=__doc__.split("\n\n", 1)[0],
        epilog="Needs no running stack (the ADMITONE_*_PORT variables do not apply).",
    )
    parser.add_argument("--check", action="store_true", help="fail when openapi.json is stale")
    args = parser.parse_args(argv)
    try:
        text = render(build())
    except ContractError as error:
        raise ToolFailure(str(error), FAILED) from None
    target = ROOT / DOCUMENT
    if args.check:
        if not target.exists() or target.read_text() != text:
            raise ToolFailure(f"{DOCUMENT} is stale; run scripts/openapi", FAILED)
        return 0
    target.write_text(text)
    document = json.loads(text)
    operations = sum(len(item) for item in document["paths"].values())
    print(f"openapi: wrote {DOCUMENT} ({operations} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
