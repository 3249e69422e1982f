"""Every domain event type has a schema (domain/events.py) and events/README.md documents
exactly its fields: what consumers read is what the code writes."""

from __future__ import annotations

import re

import pytest

from admitone.domain.events import SCHEMAS
from tests.conftest import ROOT

_SECTION = re.compile(r"^### (.+?) \(schema_version (\d+)\)$", re.MULTILINE)


def documented() -> dict[str, set[str]]:
    """event type -> the fields its README section's table names."""
    text = (ROOT / "events" / "README.md").read_text()
    sections = list(_SECTION.finditer(text))
    fields: dict[str, set[str]] = {}
    for index, heading in enumerate(sections):
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        body = text[heading.end() : end]
        names = {
            name
            for row in re.findall(r"^\| (.+?) \|", body, re.MULTILINE)
            if not row.startswith(("field", "---"))
            for name in re.findall(r"`([a-z_]+)`", row)
        }
        for event_type in re.findall(r"`([a-z_]+\.[a-z_]+)`", heading.group(1)):
            fields[event_type] = names
    return fields


def test_every_schema_is_documented_and_every_documented_type_has_a_schema():
    assert set(documented()) == set(SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(SCHEMAS))
def test_the_readme_names_exactly_the_fields_of_the_schema(event_type: str):
    assert documented()[event_type] == set(SCHEMAS[event_type].model_fields)


def test_the_notifiers_rule_routes_exactly_the_events_it_handles():
    from admitone.services.notifier import NOTIFIED_EVENT_TYPES  # noqa: PLC0415
    from scripts.devstack.template import Stack  # noqa: PLC0415

    rule = Stack.load(ROOT, ROOT / "template.yaml").properties("NotifierRule")
    assert sorted(rule["EventPattern"]["detail-type"]) == sorted(NOTIFIED_EVENT_TYPES)
    assert set(NOTIFIED_EVENT_TYPES) <= set(SCHEMAS)
