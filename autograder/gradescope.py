"""The Gradescope autograder zip: `python -m autograder gradescope --out release/gradescope.zip`.

Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` there once to build its image
(Ubuntu, as root), then, for each submission, `run_autograder`, which must leave
`/autograder/results/results.json`. The zip holds:

    setup.sh, run_autograder   the two scripts
    autograder/                the grader, less its own tests and examples (`batch.GRADER`)
    tests/support/             the public tests' support code the grader imports (the manifest, ...)
    solutions/backprop/        the reference the hidden tests compare with
    grading.toml, pyproject.toml

The scripts take AUTOGRADER_ROOT (default `/autograder`) and run_autograder AUTOGRADER_PYTHON
(default the environment setup.sh makes), so both can be tried outside Gradescope.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

from autograder.batch import grader_files
from autograder.release import RELEASE, ZIP_DATE
from tests.support.manifest import DEFAULT_PATH, ROOT

ZIP = RELEASE / "gradescope.zip"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source: it makes a Python >= 3.11 virtual
# environment at $AUTOGRADER_ROOT/venv holding the kit's dependencies (pyproject.toml's), and
# PyTorch for Part 5 where it can.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="${AUTOGRADER_ROOT:-/autograder}"

recent_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }

PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && recent_enough "$candidate"; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    # Ubuntu 22.04 has Python 3.10: take 3.11 from the deadsnakes PPA.
    apt-get update
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
if ! "$PYTHON" -m venv "$ROOT/venv"; then
    # Ubuntu keeps venv in a package of its own (python3-venv, python3.12-venv, ...).
    apt-get update
    apt-get install -y "$PYTHON-venv"
    "$PYTHON" -m venv "$ROOT/venv"
fi
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" - <<'EOF'
import tomllib
with open("pyproject.toml", "rb") as handle:
    project = tomllib.load(handle)["project"]
for name, requirements in (("requirements.txt", project["dependencies"]),
                           ("framework.txt", project["optional-dependencies"]["framework"])):
    with open(name, "w") as out:
        out.write("\\n".join(requirements) + "\\n")
EOF
"$ROOT/venv/bin/python" -m pip install -r requirements.txt
# Part 5 (framework) needs PyTorch, the CPU build from PyTorch's own index. Without it that part
# reads "unavailable" (counting toward neither score nor maximum) and the others grade as usual.
"$ROOT/venv/bin/python" -m pip install --extra-index-url https://download.pytorch.org/whl/cpu -r framework.txt \\
    || echo "setup.sh: PyTorch could not be installed, so Part 5 (framework) will read unavailable" >&2
# The worker runs student code as uid 65534: where the sandbox cannot hide the kit with its own
# mounts, file permissions keep the reference and the hidden tests out of its reach.
chmod -R go-rwx "$ROOT/source"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: grade $AUTOGRADER_ROOT/submission (read, never run in
# place: the grader stages the files it needs into a scratch folder) into $AUTOGRADER_ROOT/results.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
exec "$PYTHON" -m autograder grade "$ROOT/submission" --out "$ROOT/results"
"""

SCRIPTS = {PurePosixPath("setup.sh"): SETUP_SH, PurePosixPath("run_autograder"): RUN_AUTOGRADER}


def files(manifest_path: Path = DEFAULT_PATH) -> dict[PurePosixPath, bytes]:
    """Path in the zip -> content, for every file of the autograder zip."""
    grader = {PurePosixPath(path.relative_to(ROOT).as_posix()): path.read_bytes() for path in grader_files()}
    return {
        **{name: script.encode() for name, script in SCRIPTS.items()},
        **grader,
        PurePosixPath("grading.toml"): manifest_path.read_bytes(),
        PurePosixPath("pyproject.toml"): (ROOT / "pyproject.toml").read_bytes(),
    }


def build(out: Path = ZIP, manifest_path: Path = DEFAULT_PATH) -> Path:
    """Write the autograder zip to `out`, the same bytes for the same files; returns `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(files(manifest_path).items()):
            entry = zipfile.ZipInfo(str(name), date_time=ZIP_DATE)
            entry.external_attr = (0o755 if name in SCRIPTS else 0o644) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return out
