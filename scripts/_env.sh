# Shared by scripts/run and scripts/test: create .venv and install the project (idempotent, quiet).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.imrkb-installed
want="$(cat pyproject.toml requirements.txt | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "==> installing imrkb and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
  echo "$want" > "$stamp"
fi
export PATH="$ROOT/.venv/bin:$PATH"
