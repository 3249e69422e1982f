"""samconfig.toml and the README's deploy walkthrough say only what template.yaml holds:
every parameter documented with a value it accepts, every secret and parameter the
walkthrough names a real one."""

from __future__ import annotations

import re
import tomllib

from admitone.domain.stripe_events import HANDLED_TYPES
from scripts.devstack.template import load_template
from tests.conftest import ROOT

TEMPLATE = load_template(ROOT / "template.yaml")
PARAMETERS = TEMPLATE["Parameters"]
SAMCONFIG_TEXT = (ROOT / "samconfig.toml").read_text()
SAMCONFIG = tomllib.loads(SAMCONFIG_TEXT)


def _deploy_section() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("## Deploy to AWS", 1)[1].split("\n## ", 1)[0]


def test_samconfig_names_every_template_parameter_with_a_comment():
    # Set or left at its default (a commented-out line), each one is there, explained.
    lines = SAMCONFIG_TEXT.splitlines()
    named = {}
    for number, line in enumerate(lines):
        match = re.match(r'\s*#?\s*"(\w+)=', line)
        if match:
            named[match.group(1)] = lines[number - 1].strip()
    assert set(named) == set(PARAMETERS)
    assert all(above.startswith("#") for above in named.values()), named


def test_every_value_samconfig_sets_is_one_the_template_accepts():
    deploy = SAMCONFIG["default"]["deploy"]["parameters"]
    overrides = dict(entry.split("=", 1) for entry in deploy["parameter_overrides"])
    for name, value in overrides.items():
        spec = PARAMETERS[name]
        assert value in [str(v) for v in spec.get("AllowedValues", [value])], name
        assert re.fullmatch(spec.get("AllowedPattern", ".*"), value), name
    assert overrides["WebhooksAllowLoopback"] == "false"  # the SSRF guard stays up
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True


def test_the_stage_in_the_stack_name_is_the_stage_deployed():
    deploy = SAMCONFIG["default"]["deploy"]["parameters"]
    stage = dict(entry.split("=", 1) for entry in deploy["parameter_overrides"])["Stage"]
    assert SAMCONFIG["default"]["global"]["parameters"]["stack_name"] == f"admitone-{stage}"


def test_the_walkthrough_names_only_the_templates_secrets_parameters_and_outputs():
    section = _deploy_section()
    secret_names = {
        str(props["Properties"]["Name"]["Fn::Sub"]).replace("${Stage}", "<stage>")
        for props in TEMPLATE["Resources"].values()
        if props["Type"] == "AWS::SecretsManager::Secret"
    }
    cited_secrets = set(re.findall(r"admitone/<stage>/[a-z-]+", section))
    assert cited_secrets == secret_names
    cited_parameters = set(re.findall(r"\b([A-Z]\w+)=", section))
    assert cited_parameters <= set(PARAMETERS), cited_parameters - set(PARAMETERS)
    cited_outputs = set(re.findall(r"<(\w+) output>", section))
    assert cited_outputs <= set(TEMPLATE["Outputs"]), cited_outputs - set(TEMPLATE["Outputs"])


def test_the_stripe_webhook_is_registered_for_exactly_the_events_the_intake_handles():
    section = _deploy_section()
    assert set(re.findall(r"enabled_events\[\]=([a-z_.]+)", section)) == HANDLED_TYPES
    assert set(re.findall(r"`((?:payment_intent|charge|refund)\.[a-z_.]+)`", section)) == (
        HANDLED_TYPES
    )
