"""PDF rendering with WeasyPrint, in a pool of long-lived worker processes.

WeasyPrint is imported only here, and only in the workers (or when rendering
in-process), so commands that render nothing never pay for it. Each worker
keeps its own font configuration. WeasyPrint may read only files inside the
allowed asset folders: nothing else on disk and nothing from the network.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import BuildError
from .writer import write_atomic


@dataclass(frozen=True)
class PdfJob:
    slug: str
    html: str
    target: Path


_state: dict[str, object] = {}


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class RestrictedFetcher(URLFetcher):
        """Allows file: URLs inside the asset folders; refuses everything else."""

        def __init__(self, roots: list[Path]):
            super().__init__(allowed_protocols={"file"})
            self.roots = [r.resolve() for r in roots]

        def fetch(self, url: str, headers=None):
            parsed = urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"refused to fetch {url}: only bundled assets may be used")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in self.roots):
                raise ValueError(f"refused to read {path}: outside the templates' assets folder")
            return super().fetch(url, headers)

    return RestrictedFetcher


def init_worker(roots: list[Path], base_url: str) -> None:
    """Load WeasyPrint once per process."""
    import logging

    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    _state["weasyprint"] = weasyprint
    _state["fonts"] = FontConfiguration()
    _state["fetcher"] = _fetcher_class()(roots)
    _state["base_url"] = base_url


def render_pdf(job: PdfJob) -> tuple[str, str | None]:
    """Render one PDF; returns (slug, error message or None)."""
    weasyprint = _state["weasyprint"]
    try:
        document = weasyprint.HTML(string=job.html, base_url=_state["base_url"],  # type: ignore[attr-defined]
                                   url_fetcher=_state["fetcher"])
        data = document.write_pdf(font_config=_state["fonts"], pdf_variant=None, uncompressed_pdf=False)
        write_atomic(job.target, data)
    except BuildError as exc:
        return job.slug, str(exc)
    except Exception as exc:  # noqa: BLE001 - a renderer failure is reported per company, never a traceback
        return job.slug, f"{job.target}: PDF rendering failed: {type(exc).__name__}: {exc}"
    return job.slug, None


def render_html_to_pdf(html: str, roots: list[Path], base_url: str) -> bytes:
    """One PDF rendered in this process (for the book's contents page)."""
    if _state.get("base_url") != base_url:
        init_worker(roots, base_url)
    weasyprint = _state["weasyprint"]
    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=_state["fetcher"])  # type: ignore[attr-defined]
    return document.write_pdf(font_config=_state["fonts"])


def render_all(jobs: list[PdfJob], roots: list[Path], base_url: str, workers: int | None = None) -> dict[str, str | None]:
    """Render every job; in-process for one job, else in a pool of ``workers`` processes."""
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    if not jobs:
        return {}
    if workers == 1:
        init_worker(roots, base_url)
        return dict(render_pdf(job) for job in jobs)
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker,
                             initargs=(roots, base_url)) as pool:
        return dict(pool.map(render_pdf, jobs, chunksize=1))


def harfbuzz_subset_available() -> bool:
    """WeasyPrint subsets fonts fast with libharfbuzz-subset; without it, many times slower."""
    import ctypes.util

    return ctypes.util.find_library("harfbuzz-subset") is not None
