"""The README's table of endpoints and jobs is the template's, so it cannot rot."""

from __future__ import annotations

import re

from scripts.devstack.template import Stack
from tests.conftest import ROOT


def _triggers(stack: Stack) -> set[tuple[str, str]]:
    rows = set()
    for function_id in stack.function_ids():
        for event in stack.properties(function_id).get("Events", {}).values():
            props = event.get("Properties", {})
            if event["Type"] == "HttpApi":
                trigger = f"{props['Method'].upper()} {props['Path']}"
            elif event["Type"] in ("Schedule", "ScheduleV2"):
                trigger = props.get("Schedule") or props["ScheduleExpression"]
            elif event["Type"] == "SQS":
                trigger = f"SQS {props['Queue']['Fn::GetAtt'][0]}"
            elif event["Type"] == "DynamoDB":
                trigger = f"stream {props['Stream']['Fn::GetAtt'][0]}"
            else:
                trigger = event["Type"]
            rows.add((trigger, function_id))
    return rows


def test_the_readme_lists_every_route_and_job_of_the_template_and_nothing_else():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- endpoints:start -->")[1].split("<!-- endpoints:end -->")[0]
    listed = set(re.findall(r"^\| `([^`]+)` \| `([^`]+)` \|", table, re.MULTILINE))
    assert listed == _triggers(Stack.load(ROOT, ROOT / "template.yaml"))


def test_the_readme_opens_with_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["scripts/run", "scripts/test"]
