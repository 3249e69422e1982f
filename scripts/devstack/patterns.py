"""EventBridge-style event patterns, as Lambda event-source filter criteria use them."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

_MISSING = object()


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    """True when ``event`` satisfies every field of ``pattern``."""
    for key, expected in pattern.items():
        if key == "$or":
            if not any(matches(option, event) for option in expected):
                return False
            continue
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if value is _MISSING or not matches(expected, value):
                return False
        elif not _leaf_matches(expected, value):
            return False
    return True


def _leaf_matches(rules: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return any(_rule_matches(rule, v) for rule in rules for v in values) or any(
        isinstance(rule, Mapping) and "exists" in rule and rule["exists"] is (value is not _MISSING)
        for rule in rules
    )


def _rule_matches(rule: Any, value: Any) -> bool:  # noqa: PLR0911  (one branch per operator)
    if value is _MISSING:
        return False
    if not isinstance(rule, Mapping):
        return bool(rule == value)
    if "exists" in rule:
        return bool(rule["exists"])
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(_operand(rule["prefix"]))
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(_operand(rule["suffix"]))
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "wildcard" in rule:
        return isinstance(value, str) and fnmatch.fnmatchcase(value, rule["wildcard"])
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        if isinstance(excluded, Mapping):
            return not _rule_matches(excluded, value)
        return value not in (excluded if isinstance(excluded, list) else [excluded])
    if "numeric" in rule:
        return _numeric(rule["numeric"], value)
    raise ValueError(f"unsupported pattern operator: {sorted(rule)}")


def _operand(value: Any) -> str:
    return str(value["equals-ignore-case"]) if isinstance(value, Mapping) else str(value)


def _numeric(conditions: list[Any], value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    checks = {
        "=": lambda a, b: a == b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    return all(checks[op](value, operand) for op, operand in pairs)
