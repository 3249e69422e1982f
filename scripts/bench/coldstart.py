"""Cold-start cost of every function in template.yaml: import + init of its handler.

Each figure is the median over fresh interpreters that see exactly what Lambda's
would: the function's folder, the layer folder (layers/admitone) and, standing in
for the layer's pinned third-party packages, the venv site-packages — no site
hooks, no .pth files, no PYTHON* variables (``-I -S``), and the environment the
template gives the function (placeholders for values only a deployed stack knows).

Measured twice:
- with .pyc: every module's bytecode cached beforehand (in a private
  pycache prefix, so nothing is written into the repository or the venv);
- no .pyc, as a SAM zip ships (``sam build`` puts no bytecode in the artifacts and
  Lambda's code directory is read-only): every module under those folders is
  compiled from source on every run, whatever ``__pycache__`` they hold locally.
  The standard library keeps its bytecode, as in Lambda's runtime image.

``--tracing on`` measures the stack deployed with ``Tracing=Active`` (Powertools
Tracer and the X-Ray SDK loaded at cold start), ``--tracing both`` each function both
ways, one row per mode.

``--against REV`` measures a commit's functions and layer too (its tree exported from
git, the same venv) and prints before, after and the change. The two versions'
processes alternate run by run (before, after, after, before, ...), so a load that
comes and goes on a shared machine falls on both alike; besides the wall-clock init it
gives the CPU time the init process spent, which another process's load stretches far
less than the wall clock (the figure to trust on a busy machine).

Prints figures; asserts nothing. Run: ``.venv/bin/python -m scripts.bench.coldstart``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from scripts.devstack import failures
from scripts.devstack.failures import FAILED, ToolFailure
from scripts.devstack.template import ACCOUNT_ID, REGION, FunctionSpec, Stack

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "admitone"
RUNS = 5
TOP = 5

# Runs in the fresh interpreter: put the Lambda path in front of the stdlib and,
# for a "no .pyc" run, make every module under it compile from source (the loader
# skips bytecode when cache_from_source raises NotImplementedError; -B stops
# writes). The standard library keeps its bytecode, as in Lambda's runtime image.
# Then time the import of the handler module (through __import__, which
# -X importtime reports) and the lookup of the handler.
_PROBE = """\
import sys, time
mode, module_name, handler_name, *paths = sys.argv[1:]
sys.path[:0] = paths
if mode == "no-pyc":
    import _frozen_importlib_external as external
    cache_from_source = external.cache_from_source
    roots = tuple(path.rstrip("/") + "/" for path in paths)

    def no_bytecode(path, *args, **kwargs):
        if path.startswith(roots):
            raise NotImplementedError(path)
        return cache_from_source(path, *args, **kwargs)

    external.cache_from_source = no_bytecode
start, cpu_start = time.perf_counter(), time.process_time()
__import__(module_name)
handler = getattr(sys.modules[module_name], handler_name)
elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
if not callable(handler):
    raise SystemExit(f"{module_name}.{handler_name} is not callable")
print(f"{elapsed * 1000:.3f} {len(sys.modules)} {cpu * 1000:.3f}")
"""
_IMPORTTIME = re.compile(r"^import time:\s*(\d+) \|\s*(\d+) \| ( *)(\S+)\s*$")


class _PlaceholderAttributes(dict[tuple[str, str], str]):
    """Attributes only a provisioned stack knows (queue URLs, stream ARNs), as
    well-formed placeholders: nothing may touch them at import."""

    def __init__(self, stack: Stack) -> None:
        super().__init__()
        self._stack = stack

    def __missing__(self, key: tuple[str, str]) -> str:
        logical_id, attribute = key
        name = self._stack.physical_name(logical_id)
        if attribute == "QueueUrl":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
        if attribute == "StreamArn":
            return f"{self._stack.get_att(logical_id, 'Arn')}/stream/1970-01-01T00:00:00.000"
        return f"placeholder-{logical_id}-{attribute}"


# The template's Tracing parameter for each mode of --tracing.
TRACING = {"off": "PassThrough", "on": "Active"}


def load_stack(
    template: Path = ROOT / "template.yaml",
    parameters: dict[str, str] | None = None,
    *,
    root: Path = ROOT,
) -> Stack:
    """The template with every intrinsic resolvable without provisioning anything."""
    stack = Stack.load(root, template, parameters)
    stack.attributes = _PlaceholderAttributes(stack)
    return stack


def lambda_environment(spec: FunctionSpec) -> dict[str, str]:
    """What Lambda puts in the environment of ``spec``: its template variables plus
    the runtime's own (dummy credentials; no network is needed at import)."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": str(spec.code_uri),
        "_HANDLER": f"{spec.handler_module}.{spec.handler_name}",
        **spec.environment,
    }


@dataclass(frozen=True)
class Run:
    init_ms: float
    modules: int
    stderr: str
    cpu_ms: float = 0.0


@dataclass(frozen=True)
class Result:
    spec: FunctionSpec
    label: str
    warm: list[Run]
    cold: list[Run]
    heaviest: list[tuple[str, float, float]]  # package, own ms, cumulative ms


def _site_packages() -> list[Path]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(Path(paths[key]) for key in ("purelib", "platlib")))


def _probe(
    mode: str, spec: FunctionSpec, paths: list[Path], flags: list[str], env: dict[str, str]
) -> Run:
    command = [
        sys.executable,
        "-I",
        "-S",
        *flags,
        "-c",
        _PROBE,
        mode,
        spec.handler_module,
        spec.handler_name,
        *map(str, paths),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolFailure(f"{spec.logical_id}: its handler does not import ({last})", FAILED)
    init_ms, modules, cpu_ms = done.stdout.split()
    return Run(float(init_ms), int(modules), done.stderr, float(cpu_ms))


def heaviest_imports(importtime: str, root: str, top: int = TOP) -> list[tuple[str, float, float]]:
    """Top-level packages under the import of ``root``, heaviest first.

    own: self time of the package's modules (so boto3 does not absorb botocore);
    cumulative: time of the package's outermost imports, including what they pulled in.
    The standard library is reported as one entry, ``(stdlib)``.
    """
    rows = [m.groups() for line in importtime.splitlines() if (m := _IMPORTTIME.match(line))]
    own: dict[str, float] = defaultdict(float)
    cumulative: dict[str, float] = defaultdict(float)
    ancestors: list[str] = []  # package at each depth along the current branch
    inside = False
    # -X importtime prints children before their parent; reversed, parents come first.
    for self_us, cumulative_us, indent, name in reversed(rows):
        depth = len(indent) // 2
        if depth == 0:
            inside = name.split(".", 1)[0] == root.split(".", 1)[0]
        if not inside:
            continue
        top_level = name.split(".", 1)[0]
        package = "(stdlib)" if top_level in sys.stdlib_module_names else top_level
        del ancestors[depth:]
        own[package] += int(self_us) / 1000
        if package not in ancestors:
            cumulative[package] += int(cumulative_us) / 1000
        ancestors.append(package)
    ranked = sorted(own, key=own.__getitem__, reverse=True)[:top]
    return [(package, own[package], cumulative[package]) for package in ranked]


class _Subject:
    """One version of one function, ready to start fresh interpreters on."""

    def __init__(self, spec: FunctionSpec, scratch: Path, layer: Path) -> None:
        self.spec = spec
        self.paths = [spec.code_uri, layer, *_site_packages()]
        self.env = lambda_environment(spec)
        # A private cache: nothing is written into the repository or the venv.
        self.with_pyc = ["-X", f"pycache_prefix={scratch / 'pycache'}"]

    def start(self, mode: str) -> Run:
        flags = self.with_pyc if mode == "pyc" else ["-B"]
        return _probe(mode, self.spec, self.paths, flags, self.env)

    def result(self, label: str, warm: list[Run], cold: list[Run]) -> Result:
        traced = _probe("no-pyc", self.spec, self.paths, ["-B", "-X", "importtime"], self.env)
        heaviest = heaviest_imports(traced.stderr, self.spec.handler_module)
        return Result(self.spec, label or self.spec.logical_id, warm, cold, heaviest)


def measure(
    spec: FunctionSpec, runs: int, scratch: Path, label: str = "", *, layer: Path = LAYER
) -> Result:
    subject = _Subject(spec, scratch, layer)
    subject.start("pyc")  # fills the cache; not timed
    warm = [subject.start("pyc") for _ in range(runs + 1)][1:]
    # The first run of each mode is dropped: it pays for cold disk reads, not imports.
    cold = [subject.start("no-pyc") for _ in range(runs + 1)][1:]
    return subject.result(label, warm, cold)


def measure_pair(
    before: FunctionSpec, before_layer: Path, after: FunctionSpec, runs: int, scratch: Path
) -> tuple[Result, Result]:
    """Both versions of a function, their processes alternating run by run (ABBA...)."""
    subjects = (_Subject(before, scratch, before_layer), _Subject(after, scratch, LAYER))
    figures: tuple[dict[str, list[Run]], ...] = (
        {"pyc": [], "no-pyc": []},
        {"pyc": [], "no-pyc": []},
    )
    for mode in ("pyc", "no-pyc"):
        for subject in subjects:  # fill the cache and pay for cold disk reads: not timed
            subject.start(mode)
            subject.start(mode)
        for run in range(runs):
            for which in (0, 1) if run % 2 == 0 else (1, 0):
                figures[which][mode].append(subjects[which].start(mode))
    return (
        subjects[0].result("", figures[0]["pyc"], figures[0]["no-pyc"]),
        subjects[1].result("", figures[1]["pyc"], figures[1]["no-pyc"]),
    )


def _median(runs: list[Run]) -> float:
    return statistics.median(run.init_ms for run in runs)


def _median_cpu(runs: list[Run]) -> float:
    return statistics.median(run.cpu_ms for run in runs)


def report(results: list[Result], runs: int, seconds: float) -> str:
    lines = [
        f"Cold start: import + init of each handler, median of {runs} fresh processes",
        f"(python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        "no .pyc = function, layer and its packages compiled from source on every start)",
        "",
    ]
    header = ("function", "handler", "with .pyc", "no .pyc", "ratio", "modules")
    table = [header]
    for result in results:
        warm, cold = _median(result.warm), _median(result.cold)
        table.append(
            (
                result.label,
                f"{result.spec.handler_module}.{result.spec.handler_name}",
                f"{warm:.0f} ms",
                f"{cold:.0f} ms",
                f"{cold / warm:.1f}x",
                str(result.cold[0].modules),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        lines.append("  ".join(cells))
    lines += ["", f"Heaviest imports without .pyc (top {TOP}: own ms / cumulative ms)"]
    for result in results:
        ranked = ", ".join(f"{name} {own:.0f}/{cum:.0f}" for name, own, cum in result.heaviest)
        lines.append(f"  {result.label}: {ranked}")
    lines += ["", f"({len(results)} functions in {seconds:.0f} s)"]
    return "\n".join(lines)


def export_tree(revision: str, into: Path) -> Path:
    """The functions, the layer and the template as they were at ``revision``."""
    archived = subprocess.run(
        ["git", "archive", "--format=tar", revision, "template.yaml", "functions", "layers"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if archived.returncode != 0:
        reason = archived.stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        raise ToolFailure(f"--against {revision}: git cannot export it ({reason[-1]})", FAILED)
    with tarfile.open(fileobj=io.BytesIO(archived.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


def comparison(pairs: list[tuple[Result, Result]], revision: str, runs: int) -> str:
    """Each function before (at ``revision``) and after (this tree), medians in ms."""
    lines = [
        f"Cold start at {revision} (before) and in this tree (after): import + init of each",
        f"handler, median of {runs} fresh processes each, before and after alternating "
        f"(python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs; "
        f"load average {' '.join(f'{load:.1f}' for load in os.getloadavg())} at the end).",
        "Wall clock, and the init process's CPU time (what another process's load stretches",
        "least); change = after against before, no .pyc.",
        "",
    ]
    header = (
        "function",
        "pyc before",
        "pyc after",
        "no-pyc before",
        "no-pyc after",
        "change",
        "no-pyc CPU before",
        "no-pyc CPU after",
        "CPU change",
        "modules",
    )
    table = [header]
    for before, after in pairs:
        cold_before, cold_after = _median(before.cold), _median(after.cold)
        cpu_before, cpu_after = _median_cpu(before.cold), _median_cpu(after.cold)
        table.append(
            (
                after.label,
                f"{_median(before.warm):.0f} ms",
                f"{_median(after.warm):.0f} ms",
                f"{cold_before:.0f} ms",
                f"{cold_after:.0f} ms",
                f"{(cold_after - cold_before) / cold_before:+.0%}",
                f"{cpu_before:.0f} ms",
                f"{cpu_after:.0f} ms",
                f"{(cpu_after - cpu_before) / cpu_before:+.0%}",
                f"{before.cold[0].modules} -> {after.cold[0].modules}",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
    return "\n".join(lines)


# What one measured interpreter start costs, fast machine to slow, to say up front how
# long a run takes.
_SECONDS_PER_PROBE = (0.8, 2.0)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def main(argv: list[str] | None = None) -> int:
    return failures.main("coldstart", lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench.coldstart",
        description=__doc__.splitlines()[0],
        epilog="Needs no running stack (the ADMITONE_*_PORT variables do not apply).",
    )
    parser.add_argument("functions", nargs="*", help="logical ids (default: all in the template)")
    parser.add_argument("--runs", type=int, default=RUNS, help="fresh processes per figure")
    parser.add_argument(
        "--tracing",
        choices=["off", "on", "both"],
        default="off",
        help="the template's Tracing switch: off (default, PassThrough), on (Active), or both",
    )
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also measure the functions as they were at this commit, e.g. main~3",
    )
    args = parser.parse_args(argv)
    if args.against:
        return _compare(args.against, args.functions, args.runs, TRACING[args.tracing])

    started = time.perf_counter()
    modes = ["off", "on"] if args.tracing == "both" else [args.tracing]
    stacks = {mode: load_stack(parameters={"Tracing": TRACING[mode]}) for mode in modes}
    known = stacks[modes[0]].function_ids()
    for name in args.functions:
        if name not in known:
            raise failures.did_you_mean("function", name, known)
    function_ids = args.functions or known
    starts = len(function_ids) * len(modes) * (2 * args.runs + 4)
    print(
        f"coldstart: {len(function_ids)} function(s) x {len(modes)} tracing mode(s), "
        f"{starts} fresh interpreters in all, which takes "
        f"{' to '.join(_duration(starts * cost) for cost in _SECONDS_PER_PROBE)}"
        + ("" if args.functions else " (name functions, e.g. HealthFunction, to measure fewer)"),
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="admitone-coldstart-") as tmp:
        scratch = Path(tmp)
        results = []
        for function_id in function_ids:
            for mode, stack in stacks.items():
                label = f"{function_id} (tracing {mode})" if len(modes) > 1 else function_id
                print(f"measuring {label} ...", file=sys.stderr, flush=True)
                results.append(measure(stack.function(function_id), args.runs, scratch, label))
    print(report(results, args.runs, time.perf_counter() - started))
    return 0


def _compare(revision: str, function_ids: list[str], runs: int, tracing: str) -> int:
    started = time.perf_counter()
    after_stack = load_stack(parameters={"Tracing": tracing})
    known = after_stack.function_ids()
    for name in function_ids:
        if name not in known:
            raise failures.did_you_mean("function", name, known)
    with tempfile.TemporaryDirectory(prefix="admitone-coldstart-") as tmp:
        scratch = Path(tmp)
        tree = export_tree(revision, scratch / "before")
        before_stack = load_stack(tree / "template.yaml", {"Tracing": tracing}, root=tree)
        present = set(before_stack.function_ids())
        pairs = []
        for function_id in function_ids or known:
            if function_id not in present:
                print(f"{function_id}: not at {revision}; skipped", file=sys.stderr)
                continue
            print(f"measuring {function_id} before and after ...", file=sys.stderr, flush=True)
            pairs.append(
                measure_pair(
                    before_stack.function(function_id),
                    tree / "layers" / "admitone",
                    after_stack.function(function_id),
                    runs,
                    scratch,
                )
            )
    print(comparison(pairs, revision, runs))
    print(f"\n({len(pairs)} functions in {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
