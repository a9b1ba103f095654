"""What each output is made from, as a hash: an output whose fingerprint is unchanged is not made again.

A company's pages rest on its file, what its filing, consensus rows and transcripts gave it, and the base of its
language (``language_base``: templates, settings, code, the language and its catalogue). A PDF is keyed by the
HTML it is laid out from (``pdf_key``), so that it is kept when its page shows nothing new.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from jinja2 import Environment

from scorecards import __version__
from scorecards.i18n import Language
from scorecards.render.templates import templates_digest
from scorecards.settings import Settings


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """The package's code, hashed once per process (every fingerprint of one build sees the same code)."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent.parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()


def language_base(settings: Settings, env: Environment, template: str, language: Language) -> str:
    """What every output of ``template`` in ``language`` rests on besides its data: templates, settings, code,
    the language and its catalogue."""
    parts = (templates_digest(env, template), settings.model_dump_json(), code_digest(), language.tag, language.digest)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def company_fingerprint(raw: bytes, inputs_digest: str, base: str) -> str:
    """A company's pages: its file's bytes, what the other sources gave it, and its language's base."""
    return hashlib.sha256(raw + inputs_digest.encode() + base.encode()).hexdigest()


def pdf_key(settings: Settings, html: str) -> str:
    """What a PDF is made from: its HTML (the stylesheet is in it), the PDF settings and the code."""
    text = f"{code_digest()}\0{settings.pdf_variant}\0{settings.pdf_tags}\0{html}"
    return hashlib.sha256(text.encode()).hexdigest()
