# Shared by scripts/demo and scripts/test: make sure uv is present and the
# locked environment is installed. Sourced, not executed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export UV_PYTHON_DOWNLOADS=never
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m uv --version >/dev/null 2>&1; then
    echo "==> installing uv (the project's package manager) with pip"
    "$PYTHON" -m pip install --quiet --user uv 2>/dev/null \
        || "$PYTHON" -m pip install --quiet uv
fi
UV=("$PYTHON" -m uv)
echo "==> installing locked dependencies into .venv"
"${UV[@]}" sync --locked --quiet
