"""The README's table of endpoints and jobs is the template's, so it cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def _walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split("<!-- walkthrough:start -->")[1].split("<!-- walkthrough:end -->")[0]


def _readme_requests() -> list[tuple[str, str]]:
    """(method, host:path) of each curl in the walkthrough, variables as ``{}``."""
    requests = []
    for command in re.findall(r"curl .*?(?=\n\S|\Z)", _walkthrough(), re.DOTALL):
        url = re.search(r'"\$(API|STRIPE)(/[^"?]*)', command)
        assert url, command
        explicit = re.search(r"-X (\w+)", command)
        method = explicit.group(1) if explicit else ("POST" if " -d " in command else "GET")
        path = re.sub(r"\$\w+", "{}", url.group(2))
        requests.append((method, f"{url.group(1).lower()}:{path}"))
    return requests


def _http_file_requests() -> list[tuple[str, str]]:
    text = (ROOT / "api.http").read_text()
    request_line = re.compile(
        r"^(GET|POST|PUT|PATCH|DELETE) \{\{(api|stripe)\}\}(/\S*)", re.MULTILINE
    )
    variable = re.compile(r"\{\{[^}]*\}\}")
    return [
        (method, f"{host}:{variable.sub('{}', path.split('?')[0])}")
        for method, host, path in request_line.findall(text)
    ]


def test_the_http_file_sends_the_walkthroughs_requests():
    # Repeats (reading an event twice, polling the order) are the shell's business.
    assert list(dict.fromkeys(_http_file_requests())) == list(dict.fromkeys(_readme_requests()))


MARKDOWN = sorted(
    path
    for path in ROOT.rglob("*.md")
    if not any(
        part.startswith(".") or part in ("node_modules", "demo-output")
        for part in path.relative_to(ROOT).parts
    )
)


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_link_of_the_documents_stays_inside_the_repository_and_exists(document: Path):
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", document.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        resolved = (document.parent / target.split("#")[0]).resolve()
        if not resolved.is_relative_to(ROOT) or not resolved.exists():
            broken.append(target)
    assert broken == []


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda path: str(path.relative_to(ROOT)))
def test_the_documents_state_the_rules_they_rely_on_instead_of_citing_a_rulebook(document: Path):
    # The rulebook the sections numbered lives outside the repository: a clone cannot read it.
    assert re.findall(r"RULES §\d+", document.read_text()) == []


def _diagram() -> tuple[str, str]:
    """The architecture diagram: its scheduled-jobs subgraph, and everything else."""
    readme = (ROOT / "README.md").read_text()
    diagram = readme.split("```mermaid\n", 1)[1].split("```", 1)[0]
    jobs = re.search(r"^\s*subgraph jobs\b.*?^\s*end$", diagram, re.MULTILINE | re.DOTALL)
    assert jobs, "the diagram has no `subgraph jobs` of scheduled jobs"
    return jobs.group(0), diagram.replace(jobs.group(0), "")


def _functions_named(text: str) -> set[str]:
    return set(re.findall(r"\b[A-Z][A-Za-z0-9]*Function\b", text))


def test_the_diagram_names_only_functions_of_the_template():
    jobs, rest = _diagram()
    named = _functions_named(jobs) | _functions_named(rest)
    assert named - set(Stack.load(ROOT, ROOT / "template.yaml").function_ids()) == set()


def test_the_diagram_shows_every_background_job_of_the_template():
    jobs, rest = _diagram()
    triggers = _triggers(Stack.load(ROOT, ROOT / "template.yaml"))
    scheduled = {f for trigger, f in triggers if trigger.startswith(("rate(", "cron("))}
    fed = {f for trigger, f in triggers if trigger.startswith(("SQS ", "stream "))}
    assert scheduled - _functions_named(jobs) == set()
    assert fed - _functions_named(rest) == set()
