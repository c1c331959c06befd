"""The docs test themselves: every command is in the README's command table, and every command's help runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from imrkb.cli import COMMANDS, build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    assert re.search(rf"^\| `imrkb {name}\b", README, re.M), f"README's command table lacks `imrkb {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        build_parser().parse_args([name, "--help"])
    assert e.value.code == 0
    assert name in capsys.readouterr().out


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert [ln.split()[0] for ln in first_block.strip().splitlines()[1:3]] == ["scripts/run", "scripts/test"]


def test_python_dash_m_works_and_unknown_command_exits_2() -> None:
    ok = subprocess.run([sys.executable, "-m", "imrkb", "--version"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("imrkb ")
    bad = subprocess.run([sys.executable, "-m", "imrkb", "nope"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
