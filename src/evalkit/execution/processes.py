"""What kernel processes share, whichever way they are started (a warm kernel, a fork server): the warm-up
that initialises libraries once, whether a module can be imported, and dying with the parent process."""

from __future__ import annotations

import ctypes
import signal

# Libraries initialise some things on first use (matplotlib's backend, PIL's image plugins, the CA-bundle
# variables pyogrio and pyproj put into os.environ): do it once before the baseline, so that the first notebook's
# figure or map does not count as a change of state.
WARM_UP = """
import io as _io, matplotlib.pyplot as _plt
_fig = _plt.figure(); _fig.savefig(_io.BytesIO(), format="png"); _plt.close(_fig)
try:
    import geopandas as _gpd
    _gpd.read_file(_io.BytesIO(b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, '
                   b'"geometry": {"type": "Point", "coordinates": [12.37, 51.34]}}]}')).set_crs(4326).to_crs(25833)
except ImportError:
    pass
"""


def _importable(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False  # `from x import name` where name is not a module


def die_with_parent() -> None:
    """Linux: the kernel sends this worker SIGKILL when the runner dies (even by kill -9), so no worker outlives
    it; its kernels notice their parent is gone (ipykernel's parent poller) and exit too."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
