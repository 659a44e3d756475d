"""make repeat's runner: pabot finds ``robot`` without an activated venv."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from scripts.run import repeat


def test_pabot_finds_robot_with_only_the_system_path():
    env = repeat.pabot_environment({"PATH": "/usr/bin:/bin"})
    found = shutil.which("robot", path=env["PATH"])
    assert found is not None and Path(found).parent == Path(sys.executable).parent
