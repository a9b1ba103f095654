"""WeasyPrint, imported without searching for its libraries by running a compiler.

WeasyPrint loads Pango, HarfBuzz, fontconfig and GObject through cffi, trying up to six names for each, Windows'
and macOS' first. cffi hands every name that does not load as it is to ``ctypes.util.find_library``, which on
Linux runs ``ldconfig``, then ``gcc`` and ``ld`` (WeasyPrint issue 1125): about 0.15 s of CPU and a dozen
processes on every import, so in every build. Each of WeasyPrint's lists also holds the library's Linux file name
(``libpango-1.0.so.0``), which loads directly. So the search is switched off while WeasyPrint is imported; where
that import fails (a system whose libraries only the search finds), WeasyPrint is imported again as it comes.

Importing this module imports WeasyPrint: the fork server the PDF workers are forked from preloads it.
"""
from __future__ import annotations

import contextlib
import ctypes.util
import io
import sys
from types import ModuleType


def _import() -> ModuleType:
    search = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # WeasyPrint prints its installation help before failing
            import weasyprint
        return weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = search
    import weasyprint

    return weasyprint


weasyprint = _import()
