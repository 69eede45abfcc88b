"""Kernels: no notebook sees another's state, a dying kernel or a runaway cell ends with a named error in time."""

import json
import time

import jupytext
import pytest

from evalkit.errors import NotebookError
from evalkit.execution import kernels, runner

PRELOAD = ["numpy", "pandas", "matplotlib.pyplot", "evalkit.publish.fmt", "evalkit.publish.report",
           "evalkit.analyses.cycle"]
PROBE = """
import json, os, random, sys, warnings
import matplotlib, matplotlib.pyplot as plt, numpy as np, pandas as pd
import evalkit.publish.fmt as fmt
print(json.dumps({"rc": matplotlib.rcParams["lines.linewidth"], "pd": pd.get_option("display.max_rows"),
                  "path": sys.path[-3:], "warn": len(warnings.filters), "np": float(np.random.random()),
                  "random": random.random(), "env": os.environ.get("EVALKIT_LEAK"), "cwd": os.getcwd(),
                  "de": fmt.de(1234.5, 1), "figs": plt.get_fignums(), "leak": "leak" in globals()}))
"""
# what the audit of a warm kernel cannot see (it compares attributes by identity): only a new process is safe
DEEP_PROBE = """
import json
import pandas as pd
import evalkit.errors as errors, evalkit.publish.fmt as fmt, evalkit.publish.report as report
import evalkit.analyses.cycle as cycle
print(json.dumps({"dict": report.PAGE_TITLES.get("trends"), "list": len(cycle.TREND_INDICATORS),
                  "class": hasattr(errors.EvalkitError, "leak"), "pandas": pd.DataFrame({"a": [1]}).to_csv(index=False),
                  "default": fmt.de(1234.5)}))
"""
IN_PLACE = {
    "module dict changed in place": "import evalkit.publish.report as r; r.PAGE_TITLES['trends'] = 'gefälscht'",
    "module list changed in place": "import evalkit.analyses.cycle as c; c.TREND_INDICATORS.append('x')",
    "class attribute": "import evalkit.errors as e; e.EvalkitError.leak = 1",
    "patched pandas method": "import pandas as pd; pd.DataFrame.to_csv = lambda *a, **k: 'gefälscht'",
    "function default": "import evalkit.publish.fmt as f; f.de.__defaults__ = (3, True)",
}
CHANGES = {
    "rcParams": "import matplotlib; matplotlib.rcParams['lines.linewidth'] = 7",
    "pandas option": "import pandas as pd; pd.set_option('display.max_rows', 3)",
    "sys.path": "import sys; sys.path.append('/leak')",
    "warning filter": "import warnings; warnings.simplefilter('ignore')",
    "numpy random stream": "import numpy as np; np.random.seed(1); np.random.random(5)",
    "python random stream": "import random; random.seed(7)",
    "environment": "import os; os.environ['EVALKIT_LEAK'] = '1'",
    "working folder": "import os; os.chdir('/')",
    "monkeypatched evalkit function": "import evalkit.publish.fmt as f; f.de = lambda *a, **k: 'gefälscht'",
    "monkeypatched library function": "import pandas as pd; pd.read_csv = None",
    "variable": "leak = 41",
}


def template(tmp_path, name, *cells):
    path = tmp_path / f"{name}.py"
    body = "\n\n".join(f"# %%\n{c}" for c in cells)
    header = ("# ---\n# jupyter:\n#   kernelspec:\n#     display_name: Python 3\n#     language: python\n"
              "#     name: python3\n# ---\n\n")
    path.write_text(header + '# %% tags=["parameters"]\nproject_root = None\n\n' + body + "\n", encoding="utf-8")
    return path


def run(tmp_path, path, name="nb"):
    """One notebook through the runner's own execute(), in its own staging folder."""
    staging = tmp_path / "staging" / name
    staging.mkdir(parents=True, exist_ok=True)
    task = runner.Task(2022, path.stem, f"{path.stem}.ipynb", {"project_root": None}, {})
    timing = runner.execute(task, path, staging, {})
    nb = jupytext.read(staging / f"{path.stem}.ipynb", fmt="ipynb")
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return timing, text


def probe(tmp_path):
    timing, text = run(tmp_path, template(tmp_path, "probe", PROBE), "probe")
    values = json.loads(text.strip().splitlines()[-1])
    values["cwd"] = values["cwd"].rsplit("/", 1)[-1]  # each notebook runs in its own staging folder
    return timing, values


@pytest.fixture
def session(request):
    mode, timeout = getattr(request, "param", ("audited", 30.0))
    s = kernels.KernelSession(mode, PRELOAD, timeout)
    kernels._SESSION["session"] = s
    yield s
    s.shutdown()
    kernels._SESSION["session"] = None


def test_no_notebook_sees_another_notebooks_state(tmp_path, session):
    first, reference = probe(tmp_path)  # what a notebook sees on a new kernel
    assert first["reused"] is False and first["kernel"] > 0
    assert reference["cwd"] == "probe" and reference["de"] == "1.234,5" and reference["leak"] is False
    for kind, change in CHANGES.items():
        run(tmp_path, template(tmp_path, "change", change), "change")
        timing, seen = probe(tmp_path)
        assert seen == reference, f"after a notebook changed the {kind}, the next one saw {seen}"
        if kind not in ("numpy random stream", "python random stream", "working folder", "variable"):
            assert timing["replaced"], f"{kind}: the kernel should have been replaced"
    # and a notebook that changes nothing leaves the kernel warm
    run(tmp_path, template(tmp_path, "harmless", "x = sum(range(10))"), "harmless")
    timing, seen = probe(tmp_path)
    assert seen == reference and timing["reused"] is True and timing["kernel"] == 0


def deep_probe(tmp_path):
    timing, text = run(tmp_path, template(tmp_path, "deep", DEEP_PROBE), "deep")
    return timing, json.loads(text.strip().splitlines()[-1])


@pytest.mark.parametrize("session", [("forked", 60.0)], indirect=True)
def test_forked_kernels_isolate_every_escape(tmp_path, session):
    """Every notebook on a never-used kernel forked from the pre-imported server: neither the audited changes
    nor in-place changes of a module's dict or list, a class attribute, a patched pandas method or a function
    default reach the next notebook."""
    _, reference = probe(tmp_path)
    _, deep_reference = deep_probe(tmp_path)
    assert deep_reference["dict"] == "Trends und Abstände" and deep_reference["default"] == "1.234,5"
    for kind, change in {**CHANGES, **IN_PLACE}.items():
        run(tmp_path, template(tmp_path, "change", change), "change")
        timing, seen = probe(tmp_path)
        assert seen == reference, f"after a notebook changed the {kind}, the next one saw {seen}"
        _, deep = deep_probe(tmp_path)
        assert deep == deep_reference, f"after a notebook changed the {kind}, the next one saw {deep}"
        assert timing["reused"] is False


@pytest.mark.parametrize("session", [("forked", 60.0)], indirect=True)
def test_forked_and_fresh_kernels_give_the_same_outputs(tmp_path, session):
    """The same notebook on a forked kernel and on a kernel papermill starts: identical outputs (random streams
    seeded, so the forked ones are the same every time)."""
    code = ("import numpy as np, pandas as pd\nprint(pd.DataFrame({'a': np.arange(5) ** 2}).describe().to_csv())\n"
            "import evalkit.publish.fmt as f\nprint(f.de(-1234.567, 2, True))")
    _, a = run(tmp_path, template(tmp_path, "same", code), "a")
    _, b = run(tmp_path, template(tmp_path, "same", code), "b")
    fresh = kernels.KernelSession("fresh", PRELOAD, 60.0)
    kernels._SESSION["session"] = fresh
    try:
        _, c = run(tmp_path, template(tmp_path, "same", code), "c")
    finally:
        fresh.shutdown()
        kernels._SESSION["session"] = session
    assert a == b == c and "−1.234,57" in a


@pytest.mark.parametrize("session", [("fresh", 30.0)], indirect=True)
def test_fresh_mode_starts_a_kernel_per_notebook(tmp_path, session):
    _, reference = probe(tmp_path)
    run(tmp_path, template(tmp_path, "change", CHANGES["environment"], CHANGES["rcParams"]), "change")
    timing, seen = probe(tmp_path)
    random = ("np", "random")  # a new kernel seeds its random streams from os.urandom
    assert {k: v for k, v in seen.items() if k not in random} == {k: v for k, v in reference.items() if k not in random}
    assert timing["reused"] is False


@pytest.mark.parametrize("session", [("forked", 30.0), ("audited", 30.0), ("fresh", 30.0)], indirect=True)
def test_a_dying_kernel_ends_the_notebook_with_a_named_error(tmp_path, session):
    path = template(tmp_path, "dies", "import os\nos._exit(1)", "print('never')")
    t0 = time.monotonic()
    with pytest.raises(NotebookError, match=r"cycle 2022, notebook dies .*kernel died"):
        run(tmp_path, path, "dies")
    assert time.monotonic() - t0 < 30
    timing, seen = probe(tmp_path)  # the worker goes on with a new kernel
    assert seen["leak"] is False


@pytest.mark.parametrize("session", [("forked", 3.0), ("audited", 3.0), ("fresh", 3.0)], indirect=True)
def test_a_runaway_cell_is_stopped_at_the_timeout(tmp_path, session):
    """The cell would sleep for 11 days; the notebook ends with the timeout's error. No wall-clock bound on a
    speed-dependent step: the bound below is only there so that a broken timeout fails instead of hanging."""
    path = template(tmp_path, "sleeps", "import time\ntime.sleep(10 ** 6)")
    t0 = time.monotonic()
    with pytest.raises(NotebookError, match=r"notebook sleeps .*longer than the timeout of 3 s"):
        run(tmp_path, path, "sleeps")
    assert time.monotonic() - t0 < 600
    session.timeout = 120.0  # the probe's imports may take longer than 3 s on a loaded machine
    _, seen = probe(tmp_path)
    assert seen["leak"] is False


def test_error_in_one_notebook_does_not_spoil_the_next(tmp_path, session):
    with pytest.raises(NotebookError, match="ZeroDivisionError"):
        run(tmp_path, template(tmp_path, "fails", "leak = 1", "1 / 0"), "fails")
    _, seen = probe(tmp_path)
    assert seen["leak"] is False


def test_template_imports_are_found():
    from pathlib import Path

    names = kernels.template_imports(sorted(Path(runner.__file__).parents[3].joinpath("notebooks").glob("*.py")))
    assert {"pandas", "evalkit.publish.report", "evalkit.cycles.context"} <= set(names)


def test_kernel_mode_and_timeout_from_the_environment(monkeypatch):
    for var in ("EVALKIT_KERNELS", "EVALKIT_FRESH_KERNELS", "EVALKIT_CELL_TIMEOUT"):
        monkeypatch.delenv(var, raising=False)
    assert kernels.mode_from_env() == "forked" and kernels.timeout_from_env() == kernels.DEFAULT_TIMEOUT
    monkeypatch.setenv("EVALKIT_FRESH_KERNELS", "1")
    assert kernels.mode_from_env() == "fresh"
    monkeypatch.delenv("EVALKIT_FRESH_KERNELS")
    monkeypatch.setenv("EVALKIT_KERNELS", "fresh")
    monkeypatch.setenv("EVALKIT_CELL_TIMEOUT", "12.5")
    assert kernels.mode_from_env() == "fresh" and kernels.timeout_from_env() == 12.5
