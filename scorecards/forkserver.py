"""What the PDF workers' fork server loads before it forks any (``pdf._workers_context``): WeasyPrint, and an end
without Python's teardown.

The fork server lives as long as the build's process, and it holds the build's standard output and error, as do
the workers it forks: whoever reads the build's output through a pipe (the caller of make, a CI log, ``| tee``)
waits until it has ended too. Taking apart WeasyPrint and everything it loaded, the way Python ends, took ~0.07 s
after the build's last output. The fork server has nothing to write and nothing to clean up, so it ends at once.
(The workers it forks end with ``os._exit`` already.)

Only the fork server imports this module: in any other process it would cut short that process's own end.
"""
from __future__ import annotations

import atexit
import os
import sys

from . import weasy  # noqa: F401 - WeasyPrint, loaded once for every worker


def _end_now() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


atexit.register(_end_now)  # the last registered runs first: nothing after it runs
