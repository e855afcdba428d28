"""Which protections are on, and grading without the ones this machine does not allow.

The fallbacks (no namespaces; a grader that is not root) need an interpreter that other users can
run; `public_python` builds one where it can (a venv of the system's Python, with the kit's
NumPy), else those tests are skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.sandbox import SandboxError, SandboxOptions, StudentProxy, Worker, find_isolation
from autograder.sandbox.isolation import PINNED
from autograder.tests.sandbox.conftest import LIMITS, make_package
from tests.support.manifest import ROOT

PRIVATE_UID = 64_123
"""A uid no one else uses (not `nobody`: other graders may be running as nobody here)."""
PROBE = """
    import os, subprocess

    def report():
        child = subprocess.Popen(["sleep", "120"], start_new_session=True)
        return {"uid": os.getuid(), "child": child.pid, "wrote": open("here.txt", "w").write("x")}
"""


def test_the_isolation_is_found_once_per_process():
    assert find_isolation() is find_isolation()


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"), reason="needs root on Linux")
def test_as_root_on_linux_every_protection_is_on():
    found = find_isolation()
    assert found.jail and found.user == SandboxOptions().user and not found.user_namespace
    assert found.off == () and found.summary() == ""


@pytest.fixture
def unpinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Allow weaker protections than this machine's (the attack suite pins them: see conftest.py)."""
    monkeypatch.delenv(PINNED, raising=False)


def test_without_namespaces_grading_goes_on_and_says_what_is_off(unpinned, tmp_path):
    options = SandboxOptions(namespaces=False)
    found = find_isolation(options=options)
    off = {protection.name for protection in found.off}
    assert {"secrets", "filesystem", "network", "processes"} <= off
    assert "namespaces are turned off" in found.summary() and str(ROOT) in found.summary()
    with Worker(make_package(tmp_path, {"layers.py": "def ok():\n    return 1\n"}), LIMITS, options=options) as worker:
        assert StudentProxy(worker).layers.ok() == 1


@pytest.fixture(scope="module")
def public_python() -> Iterator[str]:
    """A Python with NumPy that any user can run: a venv of the system's Python reusing the kit's site-packages."""
    system = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = next((path for path in sys.path if path.endswith("site-packages") and path.startswith(sys.prefix)), None)
    if system is None or site is None or os.geteuid() != 0:
        pytest.skip("needs root and a system python3")
    folder = tempfile.mkdtemp(prefix="backprop-public-python-")
    os.chmod(folder, 0o755)
    subprocess.run([system, "-m", "venv", "--without-pip", folder], check=True)
    pth = Path(folder) / "lib" / version / "site-packages" / "kit.pth"
    if not pth.parent.is_dir():
        shutil.rmtree(folder)
        pytest.skip(f"the system's python3 is not {version}")
    pth.write_text(f"import site; site.addsitedir({site!r})\n")
    python = os.path.join(folder, "bin", "python")
    works = subprocess.run([python, "-I", "-c", "import numpy"], user=PRIVATE_UID, group=PRIVATE_UID,
                           extra_groups=[], capture_output=True, cwd="/")
    if works.returncode != 0:
        shutil.rmtree(folder)
        pytest.skip(f"uid {PRIVATE_UID} cannot import NumPy through {python}: {works.stderr.decode()[-300:]}")
    yield python
    shutil.rmtree(folder)


def test_as_root_without_namespaces_the_worker_still_runs_as_another_user_and_is_cleaned_up(unpinned, public_python,
                                                                                           tmp_path):
    options = SandboxOptions(namespaces=False, user=(PRIVATE_UID, PRIVATE_UID))
    found = find_isolation(public_python, options)
    assert found.user == (PRIVATE_UID, PRIVATE_UID) and not found.jail
    assert "the grader adopts them" in found.summary()
    with Worker(make_package(tmp_path, {"layers.py": PROBE}), LIMITS, python=public_python, options=options) as worker:
        report = StudentProxy(worker).layers.report()
        assert report["uid"] == PRIVATE_UID and report["wrote"] == 1
        assert "process(es) running" in worker.last.restarted
    assert not Path(f"/proc/{report['child']}").exists()  # killed and reaped, though in a session of its own


def test_a_grader_that_is_not_root_gets_a_jail_in_a_user_namespace(unpinned, public_python):
    grader = textwrap.dedent(f"""
        import json, sys, tempfile
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from autograder.sandbox import StudentProxy, Worker, find_isolation
        from autograder.tests.sandbox.conftest import LIMITS, make_package

        found = find_isolation(sys.executable)
        source = "import os\\ndef look(path):\\n    return os.getuid(), os.getpid(), os.path.exists(path)\\n"
        root = make_package(Path(tempfile.mkdtemp()), {{"layers.py": source}})
        with Worker(root, LIMITS, python=sys.executable) as worker:
            seen = StudentProxy(worker).layers.look({str(ROOT / "solutions")!r})
        print(json.dumps({{"jail": found.jail, "user_namespace": found.user_namespace, "seen": seen,
                          "off": [protection.name for protection in found.off]}}))
    """)
    result = subprocess.run([public_python, "-I", "-c", grader], user=PRIVATE_UID, group=PRIVATE_UID, extra_groups=[],
                            capture_output=True, text=True, cwd="/", timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    if not report["jail"]:
        pytest.skip("no unprivileged user namespaces here")
    assert report["user_namespace"] and report["off"] == ["user"]
    assert report["seen"] == [PRIVATE_UID, 4, False]  # a PID namespace of its own: init, zygote, its compiler, worker


@pytest.mark.skipif(os.geteuid() != 0 or not sys.platform.startswith("linux"), reason="needs root on Linux")
def test_secrets_inside_an_exposed_folder_are_covered(public_python, tmp_path):
    venv = Path(public_python).parent.parent  # exposed: the worker's Python runs from it
    (venv / "answers").mkdir()
    (venv / "answers" / "layers.py").write_text("SOLUTION = 42\n")
    (venv / "answers.txt").write_text("42\n")
    options = SandboxOptions(hidden_paths=(str(venv / "answers"), str(venv / "answers.txt")))
    assert find_isolation(public_python, options).jail
    source = "import os\ndef look(venv):\n    return os.listdir(venv + '/answers'), open(venv + '/answers.txt').read()\n"
    with Worker(make_package(tmp_path, {"layers.py": source}), LIMITS, python=public_python, options=options) as worker:
        assert StudentProxy(worker).layers.look(str(venv)) == ([], "")  # empty in its file system


def test_a_process_told_to_keep_the_graders_protections_refuses_to_run_without_them(monkeypatch):
    monkeypatch.setenv(PINNED, ",".join(protection.name for protection in find_isolation().protections))
    with pytest.raises(SandboxError, match="protections the grader requires are off"):
        find_isolation(options=SandboxOptions(namespaces=False, user=None, disk_mb=63))
