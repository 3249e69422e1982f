# Sourced by scripts/run, scripts/test and scripts/invoke: find python3.13, install
# the pinned uv, and bring .venv (and, on request, the isolated SAM CLI) in line
# with the lock files. Idempotent and quiet when nothing changed.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.9"

die() { echo "error: $*" >&2; exit 1; }

find_python() {
  local candidate
  for candidate in "${ADMITONE_PYTHON:-}" python3.13; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then
      command -v "$candidate"; return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for candidate in "$(pyenv root)"/versions/3.13*/bin/python3.13; do
      [ -x "$candidate" ] && { echo "$candidate"; return; }
    done
  fi
  die "python3.13 is required (Lambda runtime python3.13). Install it, e.g. 'pyenv install 3.13', or set ADMITONE_PYTHON=/path/to/python3.13."
}

ensure_uv() {
  PYTHON="$(find_python)"
  UV="$ROOT/.tools/uv/bin/uv"
  if [ ! -x "$UV" ] || [ "$("$UV" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "bootstrap: installing uv $UV_VERSION into .tools/uv" >&2
    rm -rf "$ROOT/.tools/uv"
    "$PYTHON" -m venv "$ROOT/.tools/uv" || die "could not create a venv with $PYTHON"
    "$ROOT/.tools/uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" \
      || die "could not install uv $UV_VERSION from the package index"
  fi
  export UV_PYTHON="$PYTHON" UV_PYTHON_DOWNLOADS=never UV_NO_PROGRESS=1
}

ensure_venv() {
  ensure_uv
  # --compile-bytecode: every test worker, local server and function process would
  # otherwise compile botocore, moto, pydantic, ... from source again (about 2 s of CPU
  # each); compiled once here, later syncs only check the files are current.
  UV_PROJECT_ENVIRONMENT="$ROOT/.venv" "$UV" sync --frozen --quiet --compile-bytecode --project "$ROOT" \
    || die "uv sync failed (see above)"
  # Make the layer package and the repository's own packages (functions, scripts,
  # tests) importable in the venv, as /opt/python and the task root are in Lambda.
  local site
  site="$("$ROOT/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  printf '%s\n%s\n' "$ROOT" "$ROOT/layers/admitone" > "$site/admitone-dev.pth"
}

ensure_sam() {
  ensure_uv
  local lock="$ROOT/scripts/toolchain/sam.txt" stamp="$ROOT/.venv-sam/.lock-sha"
  local want
  want="$(sha256sum "$lock" | cut -d' ' -f1)"
  if [ ! -x "$ROOT/.venv-sam/bin/sam" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "bootstrap: installing the SAM CLI into .venv-sam (isolated from the runtime deps)" >&2
    "$UV" venv --quiet --allow-existing "$ROOT/.venv-sam"
    # --python names the target: UV_PYTHON (exported above) would otherwise make
    # uv install into the base interpreter.
    "$UV" pip sync --quiet --require-hashes --python "$ROOT/.venv-sam/bin/python" "$lock" \
      || die "could not install the SAM CLI"
    echo "$want" > "$stamp"
  fi
  export SAM_CLI_TELEMETRY=0
}
