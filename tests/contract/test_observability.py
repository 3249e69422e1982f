"""The template's observability switches reach every function as the layer reads them."""

from __future__ import annotations

import tomllib

import pytest

import admitone
from admitone.config import ObservabilitySettings, observability_settings
from scripts.devstack.template import Stack
from tests.conftest import ROOT


def _settings(function_id: str, **parameters: str) -> ObservabilitySettings:
    """What the function's container reads, its environment as the template sets it."""
    stack = Stack.load(ROOT, ROOT / "template.yaml", parameters)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in stack.function(function_id).environment.items():
            patch.setenv(key, value)
        observability_settings.cache_clear()
        read = observability_settings()
    observability_settings.cache_clear()
    return read


def test_the_layer_reports_the_project_version_as_its_default_release():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert admitone.__version__ == project["version"]
    assert _settings("HealthFunction").release == f"admitone@{project['version']}"
    assert _settings("HealthFunction", Release="abc1234").release == "abc1234"


@pytest.mark.parametrize("function_id", Stack.load(ROOT, ROOT / "template.yaml").function_ids())
def test_tracing_is_off_unless_the_template_is_asked_and_then_on_for_every_function(
    function_id: str,
):
    assert not _settings(function_id).tracing
    assert _settings(function_id, Tracing="Active").tracing
    assert not _settings(function_id, Tracing="PassThrough").tracing


def test_lambda_tracing_follows_the_same_parameter():
    template = Stack.load(ROOT, ROOT / "template.yaml").template
    assert template["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    assert template["Parameters"]["Tracing"]["Default"] == "PassThrough"
    assert set(template["Parameters"]["Tracing"]["AllowedValues"]) == set(
        template["Mappings"]["TracingMode"]
    )


def test_without_a_dsn_error_reporting_is_off():
    assert _settings("HealthFunction").sentry_dsn is None
    assert _settings("HealthFunction", SentryDsn="http://k@127.0.0.1:9/1").sentry_dsn
