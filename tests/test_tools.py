"""External tools: a hung tool is stopped at its timeout, a failing one is named with its message."""

import sys

import pytest

from evalkit import tools
from evalkit.errors import SiteError


def test_a_hung_tool_is_stopped_at_its_timeout(tmp_path):
    with pytest.raises(SiteError, match="longer than the timeout of 0.5 s") as e:
        tools.run([sys.executable, "-c", "import time; time.sleep(30)"], error=SiteError, file=tmp_path / "x.qmd",
                  expected="a render", timeout=0.5, name="quarto")
    assert "quarto" in str(e.value) and "x.qmd" in str(e.value)


def test_a_failing_tool_names_itself_and_its_message(tmp_path, monkeypatch):
    with pytest.raises(SiteError, match=r"pandoc failed \(exit 3\): kaputt"):
        tools.run([sys.executable, "-c", "import sys; sys.stderr.write('kaputt'); sys.exit(3)"], error=SiteError,
                  file=tmp_path, expected="a render", name="pandoc")
    with pytest.raises(SiteError, match="could not be started"):
        tools.run([str(tmp_path / "no-such-tool")], error=SiteError, file=tmp_path, expected="a render")
    monkeypatch.setenv("EVALKIT_TOOL_TIMEOUT", "12")
    assert tools.timeout_from_env() == 12.0
    assert tools.run([sys.executable, "-c", "print('ok')"], error=SiteError, file=tmp_path, expected="") == "ok\n"
