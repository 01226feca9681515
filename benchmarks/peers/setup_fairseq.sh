#!/usr/bin/env bash
# The peer's own environment: fairseq beside the torch that unmt is measured with, in benchmarks/peers/.venv
# (gitignored). unmt itself never imports fairseq; only benchmarks/peers/fairseq_obt.py runs in this environment.
#
# usage: bash benchmarks/peers/setup_fairseq.sh [VENV_DIR]      (default: benchmarks/peers/.venv)
#
# fairseq-fixed 0.12.3.1 is fairseq 0.12 with the fixes Python 3.11 needs. For Python 3.11 PyPI has only its source
# tarball, compiled against the torch already in the environment: torch goes in first and the build runs without
# build isolation (otherwise pip would build against another torch). A built wheel lands in pip's cache, so a second
# environment installs in seconds. fairseq's own checkpoints are pickles: under torch >= 2.6 they load only with
# TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1, which the runner sets for the checkpoints it writes itself.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${1:-$HERE/.venv}
TORCH=${TORCH_VERSION:-$(python3 -c "import torch; print(torch.__version__.split('+')[0])" 2>/dev/null || echo 2.13.0)}

python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "torch==$TORCH"
"$VENV/bin/pip" install -q cython numpy setuptools wheel
"$VENV/bin/pip" install -q --no-build-isolation fairseq-fixed==0.12.3.1
"$VENV/bin/pip" install -q sentencepiece
"$VENV/bin/python" - <<'EOF'
import fairseq, torch
from fairseq.tasks.online_backtranslation import OnlineBackTranslationTask  # noqa: F401  the task we run
print(f"fairseq {fairseq.__version__} with torch {torch.__version__} in", __import__("sys").prefix)
EOF
