"""GET /openapi.json serves the committed contract; GET /docs is Swagger UI that needs
no network but the API's own."""

from __future__ import annotations

import json
import re

from openapi_spec_validator import validate

from tests.conftest import ROOT
from tests.integration.conftest import AwsStack


def test_the_served_document_is_the_committed_openapi_json(aws: AwsStack):
    response = aws.invoke_sample("OpenApiDocumentFunction", "ok")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    document = json.loads(response["body"])
    assert document == json.loads((ROOT / "openapi.json").read_text())
    validate(document)


def test_the_docs_page_is_swagger_ui_over_the_document_with_nothing_from_elsewhere(aws: AwsStack):
    response = aws.invoke_sample("ApiDocsFunction", "ok")
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"].startswith("text/html")
    page = response["body"]
    assert "SwaggerUIBundle(" in page
    assert '"url": "openapi.json"' in page
    # Every script and style is inline: no src= or href= reaches another host.
    fetched = re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*\"([^\"]*)\"", page)
    assert fetched == []
    assert "unpkg.com" not in page
    assert "cdn.jsdelivr" not in page
