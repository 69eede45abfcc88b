"""The front door on a fresh machine: `tasks` installs what Debian lacks, and only that.

Each test runs the real `tasks` script with a PATH built for it (only the basic tools it needs, no chromium)
and a stand-in `apt-get` that records its arguments, so the install path is exercised whatever this machine has.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASICS = ["bash", "dirname", "id", "env", "cat"]


def fake_path(tmp_path: Path, apt_get: bool = True, chromium: bool = False) -> tuple[dict, Path]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in BASICS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    os.symlink(sys.executable, bin_dir / "python3")
    log = tmp_path / "apt.log"
    if apt_get:
        # records its arguments; `install chromium` puts a stand-in chromium on PATH, as the real one would
        (bin_dir / "apt-get").write_text(
            "#!/bin/bash\n"
            f'echo "$*" >> {log}\n'
            'if [ "$1" = install ]; then for a in "$@"; do [ "$a" = chromium ] && '
            f"printf '#!/bin/bash\\necho chromium\\n' > {bin_dir}/chromium && chmod +x {bin_dir}/chromium; done; fi\n"
            "exit 0\n")
        (bin_dir / "apt-get").chmod(0o755)
    if chromium:
        (bin_dir / "chromium").write_text("#!/bin/bash\necho chromium\n")
        (bin_dir / "chromium").chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYTHON": "python3"}
    return env, log


def run_tasks(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "tasks"), *args], env=env, capture_output=True, text=True, timeout=60)


def test_missing_chromium_is_installed_even_though_tasks_has_a_function_of_that_name(tmp_path):
    env, log = fake_path(tmp_path)
    assert shutil.which("chromium", path=env["PATH"]) is None
    r = run_tasks(env, "system", "test")
    assert r.returncode == 0, r.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].startswith("install -y -qq --no-install-recommends")
    assert "chromium" in calls[1].split()
    assert "installing Debian packages" in r.stderr


def test_present_chromium_is_not_reinstalled(tmp_path):
    env, log = fake_path(tmp_path, chromium=True)
    r = run_tasks(env, "system", "test")
    assert r.returncode == 0, r.stderr
    installed = [c for c in (log.read_text().splitlines() if log.exists() else []) if c.startswith("install")]
    assert not any("chromium" in c.split() for c in installed)


def test_build_does_not_need_a_browser(tmp_path):
    env, log = fake_path(tmp_path)
    r = run_tasks(env, "system", "build")
    assert r.returncode == 0, r.stderr
    assert not log.exists() or "chromium" not in log.read_text()


def test_without_apt_get_the_missing_package_is_named(tmp_path):
    env, _ = fake_path(tmp_path, apt_get=False)
    r = run_tasks(env, "system", "test")
    assert r.returncode != 0
    assert "chromium" in r.stderr and "apt-get" in r.stderr


def test_python_too_old_or_missing_is_named(tmp_path):
    env, _ = fake_path(tmp_path)
    (tmp_path / "bin" / "python3").unlink()
    env["PYTHON"] = ""
    r = run_tasks(env, "system", "build")
    assert r.returncode != 0
    assert "Python >= 3.11" in r.stderr


def test_python_without_venv_gets_python3_venv(tmp_path):
    """Debian's python3 without the python3-venv package cannot make .venv: tasks installs the package."""
    env, log = fake_path(tmp_path, chromium=True)
    fake = tmp_path / "bin" / "python3"
    fake.unlink()
    fake.write_text(f'#!/bin/bash\nfor a in "$@"; do [[ "$a" == *ensurepip* ]] && exit 1; done\n'
                    f'exec {sys.executable} "$@"\n')
    fake.chmod(0o755)
    r = run_tasks(env, "system", "build")
    assert r.returncode == 0, r.stderr
    installs = [c for c in log.read_text().splitlines() if c.startswith("install")]
    assert installs and "python3-venv" in installs[0].split()
