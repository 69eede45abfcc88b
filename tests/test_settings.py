"""The environment variables are one validated settings object: a bad value is refused by name, never replaced."""

import subprocess
import sys

import pytest

from evalkit.errors import ConfigError
from evalkit.settings import Settings, settings


def test_defaults_and_values(monkeypatch):
    for var in ("EVALKIT_KERNELS", "EVALKIT_FRESH_KERNELS", "EVALKIT_CELL_TIMEOUT", "EVALKIT_TOOL_TIMEOUT",
                "EVALKIT_CYCLE", "EVALKIT_TIMING"):
        monkeypatch.delenv(var, raising=False)
    s = settings()
    assert (s.kernel_mode, s.cell_timeout, s.tool_timeout, s.cycle, s.timing) == ("forked", 600.0, 1800.0, None, False)
    monkeypatch.setenv("EVALKIT_CELL_TIMEOUT", "42.5")
    monkeypatch.setenv("EVALKIT_KERNELS", "audited")
    monkeypatch.setenv("EVALKIT_CYCLE", "2022")
    s = settings()
    assert (s.cell_timeout, s.kernel_mode, s.cycle) == (42.5, "audited", 2022)
    monkeypatch.setenv("EVALKIT_FRESH_KERNELS", "1")
    assert settings().kernel_mode == "fresh"


@pytest.mark.parametrize("var, value", [("EVALKIT_CELL_TIMEOUT", "abc"), ("EVALKIT_CELL_TIMEOUT", "-5"),
                                        ("EVALKIT_TOOL_TIMEOUT", "0"), ("EVALKIT_KERNELS", "warm"),
                                        ("EVALKIT_CYCLE", "zwanzig"), ("EVALKIT_TIMING", "vielleicht")])
def test_a_bad_value_is_refused_by_name(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as e:
        settings()
    assert str(e.value).startswith(f"{var}: {value!r} is not allowed")


def test_every_variable_the_package_reads_is_a_setting():
    """No module reads an EVALKIT_ variable past the settings object (the fork server's socket is internal)."""
    import re
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "src" / "evalkit"
    fields = {f"EVALKIT_{n.upper()}" for n in Settings.model_fields}
    for p in sorted(src.rglob("*.py")):
        for m in re.finditer(r"os\.environ(?:\.get)?[\[(]\s*[\"'](EVALKIT_\w+)", p.read_text(encoding="utf-8")):
            assert m.group(1) in fields, (p.name, m.group(1))
    assert "os.environ.get(\"EVALKIT_" not in "".join(
        p.read_text(encoding="utf-8") for p in src.rglob("*.py") if p.name != "settings.py")


def test_commands_say_when_they_run_outside_a_project(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for argv in (["run", "--all"], ["site"], ["verify", "--cycle", "2024"]):
        r = subprocess.run([sys.executable, "-m", "evalkit", *argv], cwd=tmp_path, capture_output=True, text=True,
                           env=env, timeout=120)
        assert r.returncode == 2 and "not in an evalkit project" in r.stderr, (argv, r.stderr)
        assert "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-m", "evalkit", "site"], cwd=tmp_path, capture_output=True, text=True,
                       env=dict(env, EVALKIT_CELL_TIMEOUT="abc"), timeout=120)
    assert r.returncode == 2 and "EVALKIT_CELL_TIMEOUT: 'abc' is not allowed" in r.stderr, r.stderr
