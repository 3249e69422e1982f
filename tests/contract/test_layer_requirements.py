"""The layer ships exactly the runtime dependency versions the lock file resolves."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = line.split(";", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^\s]+)", requirement)
        assert match, f"not an exact pin: {line!r}"
        pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_layer_requirements_match_the_lock_file():
    pins = _pins((ROOT / "layers/admitone/requirements.txt").read_text())
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["name"]: p["version"] for p in lock["package"]}
    for name, version in pins.items():
        assert locked.get(name) == version, f"{name}=={version} but uv.lock has {locked.get(name)}"


def test_every_direct_runtime_dependency_is_pinned_in_the_layer():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins((ROOT / "layers/admitone/requirements.txt").read_text())
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pins, f"{name} is a runtime dependency but the layer does not ship it"
