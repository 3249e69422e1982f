"""`sam build` of template.yaml, without Docker: the arm64 layer holds admitone, every
pinned dependency and aarch64 binaries; every function with the layer fits Lambda's
unzipped size limit (the mint worker, with web3, is the largest); an x86_64 build of each
function imports with nothing but its own folder and the layer on the path."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.bench.coldstart import lambda_environment, load_stack
from scripts.devstack.template import load_template

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
LAYER_ID = "AdmitoneLayer"
LAYER_SOURCE = ROOT / "layers" / "admitone"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
ELF_MACHINE = {"arm64": 183, "x86_64": 62}
# Lambda's quota on a function and all its layers, unzipped: 250 MB.
LAMBDA_UNZIPPED_BYTES = 262_144_000  # e_machine: EM_AARCH64, EM_X86_64
LAMBDA_MARKERS = {  # PEP 508 environment of the python3.13 runtime on arm64
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "aarch64",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "python_version": "3.13",
}
FUNCTION_IDS = load_stack(TEMPLATE).function_ids()

# Runs under `python3.13 -I -S` (no site-packages, no .pth, no PYTHON* variables) with
# only the layer on the path. It imports the layer's heaviest third-party packages once
# (never admitone), then forks a child per function, read as a JSON line from stdin: the
# child takes the function's environment and folder and imports its handler, so admitone
# and the function's own modules are imported from nothing each time, for about a third
# of the CPU a fresh interpreter per function costs.
IMPORT_PROBES = """\
import json, os, sys, traceback
sys.path.insert(0, sys.argv[1])
import boto3, botocore.session, pydantic
for line in sys.stdin:
    job = json.loads(line)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        os.environ.clear()
        os.environ.update(job["environment"])
        sys.path.insert(0, job["task_root"])
        try:
            module = __import__(job["module"])
            result = {
                "callable": callable(getattr(module, job["handler"])),
                "module": module.__file__,
                "admitone": sys.modules["admitone"].__file__ if "admitone" in sys.modules else None,
            }
        except BaseException:
            result = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(result))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        result = json.loads(pipe.read() or '{"error": "the child died without an answer"}')
    os.waitpid(pid, 0)
    print(json.dumps({"function_id": job["function_id"], **result}), flush=True)
"""


@dataclass(frozen=True)
class Build:
    architecture: str
    directory: Path

    @property
    def layer(self) -> Path:
        # BuildMethod python3.x copies ContentUri under python/ (/opt/python in Lambda).
        return self.directory / LAYER_ID / "python"


@functools.cache
def _python313() -> Path:
    """The base interpreter scripts/bootstrap.sh chooses (the one the build uses)."""
    found = subprocess.run(
        ["bash", "-c", 'source "$1/scripts/bootstrap.sh" && find_python', "bash", str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    base = subprocess.run(
        [found, "-I", "-S", "-c", "import sys; print(sys._base_executable)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(base.stdout.strip())


def _x86_64_template(path: Path) -> Path:
    """template.yaml with every architecture switched to x86_64."""
    template = load_template(TEMPLATE)  # short tags come back as Ref/Fn:: maps
    sections = [template.get("Globals", {}).get("Function", {})]
    for resource in template["Resources"].values():
        sections += [resource.get("Properties", {}), resource.get("Metadata", {})]
    for section in sections:
        for key in ("Architectures", "CompatibleArchitectures"):
            if key in section:
                section[key] = ["x86_64"]
        if "BuildArchitecture" in section:
            section["BuildArchitecture"] = "x86_64"
    path.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    return path


def _elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF", f"{path} is not an ELF file"
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Build]:
    """Both builds through scripts/build, once, side by side.

    Measured on 2 cores: arm64 alone ~16 s, x86_64 alone ~13 s, both at once ~20 s.
    """
    work = {arch: tmp_path_factory.mktemp(f"sam-{arch}") for arch in ELF_MACHINE}
    templates = {"arm64": TEMPLATE, "x86_64": _x86_64_template(work["x86_64"] / "template.yaml")}
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    running = {
        arch: subprocess.Popen(
            [
                str(ROOT / "scripts" / "build"),
                "--template-file",
                str(templates[arch]),
                "--build-dir",
                str(work[arch] / "build"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for arch in ELF_MACHINE
    }
    done = {}
    try:
        for arch, process in running.items():
            output, _ = process.communicate(timeout=600)
            assert process.returncode == 0, f"scripts/build ({arch}) failed:\n{output[-4000:]}"
            done[arch] = Build(arch, work[arch] / "build")
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return done


def test_the_arm64_layer_holds_admitone_and_every_pinned_dependency(
    builds: dict[str, Build],
) -> None:
    layer = builds["arm64"].layer
    source = LAYER_SOURCE / "admitone"
    shipped = {p.relative_to(layer / "admitone") for p in (layer / "admitone").rglob("*.py")}
    assert shipped == {p.relative_to(source) for p in source.rglob("*.py")}

    pinned = {}
    for line in (LAYER_SOURCE / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(LAMBDA_MARKERS):
                (spec,) = requirement.specifier
                pinned[canonicalize_name(requirement.name)] = spec.version
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions(path=[str(layer)])
    }
    assert {name: installed.get(name) for name in pinned} == pinned


def test_the_build_ships_bytecode_that_the_runtime_uses_unchecked(
    builds: dict[str, Build],
) -> None:
    for build in builds.values():
        sources = [p for p in build.directory.rglob("*.py") if "__pycache__" not in p.parts]
        missing = [p for p in sources if not Path(importlib.util.cache_from_source(p)).exists()]
        assert missing == [], missing[:5]
        sample = build.layer / "admitone" / "__pycache__" / "__init__.cpython-313.pyc"
        flags = int.from_bytes(sample.read_bytes()[4:8], "little")
        assert flags == 0b01, "expected an unchecked-hash .pyc (PEP 552)"


def test_the_arm64_layer_binaries_are_built_for_aarch64(builds: dict[str, Build]) -> None:
    layer = builds["arm64"].layer
    binaries = sorted(layer.rglob("*.so"))
    names = {path.relative_to(layer).parts[0] for path in binaries}
    assert {"pydantic_core", "cryptography"} <= names, names
    assert {
        str(path.relative_to(layer)): _elf_machine(path)
        for path in binaries
        if _elf_machine(path) != ELF_MACHINE["arm64"]
    } == {}
    platform_tags = {
        wheel.parent.name: {
            line.removeprefix("Tag:").strip().rsplit("-", 1)[1]
            for line in wheel.read_text(encoding="utf-8").splitlines()
            if line.startswith("Tag:")
        }
        for wheel in layer.glob("*.dist-info/WHEEL")
    }
    assert {
        dist: tags
        for dist, tags in platform_tags.items()
        if tags != {"any"} and not all(tag.endswith("_aarch64") for tag in tags)
    } == {}


def _unzipped_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def test_every_arm64_function_with_the_layer_fits_lambdas_unzipped_size_limit(
    builds: dict[str, Build],
) -> None:
    build = builds["arm64"]
    layer = _unzipped_bytes(build.directory / LAYER_ID)
    sizes = {f: _unzipped_bytes(build.directory / f) + layer for f in FUNCTION_IDS}
    largest = max(sizes, key=lambda f: sizes[f])
    print(
        f"largest: {largest} {sizes[largest] / 1e6:.1f} MB unzipped with the layer"
        f" ({layer / 1e6:.1f} MB) of Lambda's {LAMBDA_UNZIPPED_BYTES / 1e6:.1f} MB"
    )
    assert {f: size for f, size in sizes.items() if size >= LAMBDA_UNZIPPED_BYTES} == {}


@pytest.fixture(scope="module")
def x86_64_imports(builds: dict[str, Build]) -> dict[str, dict[str, Any]]:
    """What importing each function of the x86_64 build gave, by function id."""
    build, stack = builds["x86_64"], load_stack(TEMPLATE)
    jobs = []
    for function_id in FUNCTION_IDS:
        spec = stack.function(function_id)
        task_root = build.directory / function_id
        jobs.append(
            {
                "function_id": function_id,
                "module": spec.handler_module,
                "handler": spec.handler_name,
                "task_root": str(task_root),
                "environment": lambda_environment(spec) | {"LAMBDA_TASK_ROOT": str(task_root)},
            }
        )
    probes = subprocess.run(
        [str(_python313()), "-I", "-S", "-c", IMPORT_PROBES, str(build.layer)],
        input="".join(json.dumps(job) + "\n" for job in jobs),
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8"},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert probes.returncode == 0, probes.stderr[-4000:]
    return {answer["function_id"]: answer for answer in map(json.loads, probes.stdout.splitlines())}


@pytest.mark.skipif(platform.machine() != "x86_64", reason="imports x86_64 binaries")
@pytest.mark.parametrize("function_id", FUNCTION_IDS)
def test_an_x86_64_function_imports_with_only_its_folder_and_the_layer(
    builds: dict[str, Build], x86_64_imports: dict[str, dict[str, Any]], function_id: str
) -> None:
    build = builds["x86_64"]
    task_root = build.directory / function_id
    imported = x86_64_imports[function_id]
    assert "error" not in imported, imported["error"][-4000:]
    assert imported["callable"], imported
    assert Path(imported["module"]).is_relative_to(task_root), imported
    if imported["admitone"] is not None:
        assert Path(imported["admitone"]).is_relative_to(build.layer), imported
