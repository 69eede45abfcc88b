"""Warm kernels: one kernel and client per worker, reused, with nothing left over from the previous notebook."""

import nbformat
import papermill as pm
import pytest

from evalkit.execution import kernels


def notebook(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(nb, tmp_path):
    extra, started = kernels.warm_kernel()
    out = pm.execute_notebook(nb, str(tmp_path / "out.ipynb"), kernel_name="python3", progress_bar=False, **extra)
    return out, extra, started


def stdout(out, i):
    return "".join(o.get("text", "") for o in out.cells[i].outputs)


@pytest.fixture
def fresh_worker(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALKIT_FRESH_KERNELS", raising=False)
    kernels._STATE.update(km=None, kc=None, cwd=str(tmp_path))
    yield
    if kernels._STATE["km"] is not None:
        kernels._STATE["kc"].stop_channels()
        kernels._STATE["km"].shutdown_kernel(now=True)
    kernels._STATE.update(km=None, kc=None, cwd=None)


def test_kernel_is_reused_and_namespace_cleared(tmp_path, fresh_worker):
    first, extra1, started1 = run(notebook("import os\nleak = 41\nprint(os.getpid())"), tmp_path)
    second, extra2, started2 = run(notebook("print('leak' in globals(), 'os' in globals())\nimport os\n"
                                            "print(os.getpid())"), tmp_path)
    assert started1 > 0 and started2 == 0  # the second notebook started no kernel
    assert extra1["km"] is extra2["km"] and extra1["kc"] is extra2["kc"]
    assert stdout(second, 0).split() == ["False", "False", stdout(first, 0).strip()]  # same process, clean slate


def test_error_in_one_notebook_does_not_spoil_the_next(tmp_path, fresh_worker):
    with pytest.raises(pm.PapermillExecutionError) as e:
        run(notebook("x = 1", "1 / 0", "print('never')"), tmp_path)
    assert e.value.ename == "ZeroDivisionError"
    out, _, started = run(notebook("print(2 * 21)"), tmp_path)
    assert started == 0 and stdout(out, 0).strip() == "42"


def test_dead_kernel_is_replaced(tmp_path, fresh_worker):
    run(notebook("pass"), tmp_path)
    kernels._STATE["km"].shutdown_kernel(now=True)
    out, extra, started = run(notebook("print('wieder da')"), tmp_path)
    assert started > 0 and stdout(out, 0).strip() == "wieder da" and extra["km"].is_alive()
