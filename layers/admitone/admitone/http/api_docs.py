"""The Swagger UI page of GET /docs, self-contained: its script and style are inlined
from the swagger-ui-py package's static files (installed by that function's own
requirements.txt, not the layer), so it renders with no network but the API's own."""

from __future__ import annotations

import html
import importlib.util
import json
from functools import cache
from pathlib import Path


def _static() -> Path:
    # find_spec locates the package without importing it (its __init__ pulls in jinja2).
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed beside this function")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _inline_script(text: str) -> str:
    # A literal "</script" inside the bundle would end the element early.
    return text.replace("</script", "<\\/script")


@cache
def swagger_page(document_url: str, title: str) -> str:
    static = _static()
    style = (static / "swagger-ui.css").read_text()
    bundle = _inline_script((static / "swagger-ui-bundle.js").read_text())
    config = json.dumps({"url": document_url, "dom_id": "#swagger-ui", "deepLinking": True})
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{style}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script>{bundle}</script>
<script>window.ui = SwaggerUIBundle({config});</script>
</body>
</html>
"""
