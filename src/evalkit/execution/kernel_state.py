"""Runs inside a kernel: a fingerprint of the interpreter's global state, so that a warm kernel is reused only
when the previous notebook left nothing behind that the next one could see.

What counts as state: matplotlib's rcParams and open figures, pandas' options, NumPy's error and print settings, `os.environ`, `sys.path`, the warning filters, the recursion limit, the set of
loaded modules and the identity of every attribute of evalkit's modules and of every public attribute of the other
loaded modules (a monkeypatched `evalkit.publish.fmt.de` or `pandas.read_csv` shows here). The working folder is not compared but set before every notebook, and Python's and NumPy's global
random streams are put back to their start-up state (seeded 0: the same stream for every notebook, which a new
kernel, seeded from os.urandom, does not give).

A notebook may load new modules; they stay loaded and become part of the baseline (their import ran once, and any
global state it touched is compared like everything else). Anything else that differs from the baseline is
reported, and the engine replaces the kernel.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import warnings

_BASELINE: dict = {}
_NONE = id(None)
_SKIP_MODULES = ("__main__", "__mp_main__", "evalkit.execution.kernel_state")
# rebound by the kernel itself around every execution request (IPython's hooks, ipykernel's stdin forwarding)
_KERNEL_MANAGED = {"sys": {"excepthook", "displayhook", "stdout", "stderr", "stdin", "last_type", "last_value",
                           "last_traceback", "last_exc"},
                   "builtins": {"input", "raw_input", "getpass"}, "getpass": {"getpass"}}


def _digest(value) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "backslashreplace")).hexdigest()


def _module_attributes() -> dict[str, dict[str, int]]:
    out = {}
    for name, mod in list(sys.modules.items()):
        if mod is None or name in _SKIP_MODULES:
            continue
        try:
            attrs = vars(mod)
        except TypeError:
            continue
        skip = _KERNEL_MANAGED.get(name, ())
        # evalkit's own modules are compared name by name; elsewhere the public names (private ones are the
        # libraries' lazily filled caches, not state a notebook relies on)
        ours = name == "evalkit" or name.startswith("evalkit.")
        out[name] = {k: id(v) for k, v in list(attrs.items())
                     if k not in skip and k != "__warningregistry__" and (ours or not k.startswith("_"))}
    return out


def components() -> dict[str, str]:
    """One digest per kind of global state (modules are compared separately, attribute by attribute)."""
    comp = {
        "os.environ": _digest(sorted(os.environ.items())),
        "sys.path": _digest(list(sys.path)),
        "warnings.filters": _digest([tuple(map(str, f)) for f in warnings.filters]),
        "recursionlimit": str(sys.getrecursionlimit()),
    }
    np = sys.modules.get("numpy")
    if np is not None:
        comp["numpy.seterr"] = _digest(sorted(np.geterr().items()))
        comp["numpy.printoptions"] = _digest(sorted(np.get_printoptions().items()))
    pd = sys.modules.get("pandas")
    if pd is not None:
        from pandas._config import config as pd_config

        comp["pandas.options"] = _digest(sorted((k, repr(pd.get_option(k))) for k in
                                                pd_config._registered_options))
    mpl = sys.modules.get("matplotlib")
    if mpl is not None:
        comp["matplotlib.rcParams"] = _digest(sorted((k, repr(v)) for k, v in mpl.rcParams.items()))
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        comp["matplotlib.figures"] = _digest(plt.get_fignums())
    return comp


def baseline() -> None:
    """Record the state after start-up (called once per kernel, before its first notebook)."""
    _BASELINE.clear()
    np = sys.modules.get("numpy")
    random.seed(0)  # a new interpreter seeds from os.urandom; every notebook here starts from the same stream
    if np is not None:
        np.random.seed(0)
    _BASELINE.update(components=components(), modules=_module_attributes(), random=random.getstate(),
                     numpy_random=np.random.get_state() if np is not None else None)


def forget_warnings() -> None:
    """A warning shown once is shown again in the next notebook, as on a new kernel: the per-module registries
    of shown warnings are invalidated (what `warnings` itself does when its filters change)."""
    mutated = getattr(warnings, "_filters_mutated", None) or getattr(warnings, "_filters_mutated_lock_held", None)
    if mutated is not None:
        mutated()
    for mod in list(sys.modules.values()):
        reg = getattr(mod, "__warningregistry__", None)
        if isinstance(reg, dict):
            reg.clear()


def restore_random() -> None:
    """The global random streams are not compared but put back: every notebook starts where a new kernel
    starts (Python's `random` and NumPy's legacy global generator)."""
    random.setstate(_BASELINE["random"])
    np = sys.modules.get("numpy")
    if np is not None and _BASELINE.get("numpy_random") is not None:
        np.random.set_state(_BASELINE["numpy_random"])


def audit(cwd: str | None = None) -> str:
    """Compare with the baseline; return JSON {"clean": bool, "changed": [what]}. Sets the working folder."""
    changed = [k for k, v in components().items() if _BASELINE["components"].get(k) != v]
    changed += [k for k in _BASELINE["components"] if k not in components()]
    now = _module_attributes()
    base = _BASELINE["modules"]
    for name, attrs in base.items():
        cur = now.get(name)
        if cur is None:
            changed.append(f"module {name} unloaded")
            continue
        new_submodules = {k for k in cur.keys() - attrs.keys() if f"{name}.{k}" in now and f"{name}.{k}" not in base}
        if cur.keys() - attrs.keys() - new_submodules or attrs.keys() - cur.keys():
            extra = sorted((cur.keys() - attrs.keys() - new_submodules) | (attrs.keys() - cur.keys()))
            changed.append(f"module {name}: attributes {', '.join(extra[:5])} added or removed")
        else:
            # a name bound to None at start-up and set later is a lazily filled cache (tempfile's name sequence,
            # pyarrow's compute module …): it joins the baseline; any other rebinding is a change
            moved = [k for k, v in attrs.items() if cur[k] != v and v != _NONE]
            if moved:
                changed.append(f"module {name}: {', '.join(sorted(moved)[:5])} rebound")
    if not changed:  # newly loaded modules and filled caches join the baseline
        for name, attrs in now.items():
            if name not in base or attrs != base[name]:
                base[name] = attrs
    if cwd is not None:
        os.chdir(cwd)
    restore_random()
    forget_warnings()
    return json.dumps({"clean": not changed, "changed": changed[:20]})
