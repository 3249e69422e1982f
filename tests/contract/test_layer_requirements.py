"""The layer ships exactly the runtime dependency versions the lock file resolves."""

from __future__ import annotations

import re
import tomllib
from typing import Any

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


MINT_WORKER_REQUIREMENTS = "functions/nft/mint_worker/requirements.txt"


def _locked_closure(lock: dict[str, Any], root: str) -> set[str]:
    """``root`` and everything it installs on Lambda (Linux) by uv.lock."""
    found: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        for dependency in lock[name].get("dependencies", []):
            if "win32" not in dependency.get("marker", ""):
                todo.append(dependency["name"])
    return found


def test_the_mint_workers_requirements_pin_all_it_installs_at_the_lock_files_versions():
    pins = _pins((ROOT / MINT_WORKER_REQUIREMENTS).read_text())
    lock = {p["name"]: p for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]}
    for name, version in pins.items():
        assert lock[name]["version"] == version, f"{name}=={version}, uv.lock: {lock[name]}"
    # Unpinned, a package the layer ships too resolves newer here and shadows the layer's.
    assert set(pins) == _locked_closure(lock, "web3")
