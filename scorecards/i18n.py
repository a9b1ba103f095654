"""Languages: the gettext catalogues in locale/, and the reader's conventions for numbers.

Every word a page shows goes through a catalogue, ``locale/<tag>/LC_MESSAGES/messages.po``
(``make translations`` extracts the messages from the templates and the code, and updates
the catalogues). The .po files are read as they are, with Babel, so there is no compiled
file to go stale: ``read_po`` then ``write_mo`` into memory, fuzzy entries left out.

The message ids are the English text exactly as the English pages show it, so English
needs no catalogue to be right (``locale/en`` ships all the same, for rewording).

Chinese writes large numbers in myriads, not thousands: a figure is shown in the largest
unit it reaches, 萬/万 (10^4), 億/亿 (10^8) or 兆/万亿 (10^12), with every digit that was
written kept (777.7M = 7.777億, 640.07M = 6.4007億, 3.714T = 3.714兆).
"""

from __future__ import annotations

import gettext
import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from scorecards.errors import SettingsError

DEFAULT = "en"
CATALOGUE = Path("LC_MESSAGES") / "messages.po"
TAG_RE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?$")

# Units of the myriad system, largest first: (power of ten, word). Languages not listed use the
# thousands system as written (K, M, B, T).
MYRIADS: dict[str, tuple[tuple[int, str], ...]] = {
    "zh-Hant": ((12, "兆"), (8, "億"), (4, "萬")),
    "zh-Hans": ((12, "万亿"), (8, "亿"), (4, "万")),
}
# The CJK font for each language's glyph forms (Noto Sans CJK is in the set-up's system packages).
CJK_FONTS = {"zh-Hant": "Noto Sans CJK TC", "zh-Hans": "Noto Sans CJK SC", "ja": "Noto Sans CJK JP"}
# Each language's name in itself, for the links between languages.
AUTONYMS = {"en": "English", "zh-Hant": "繁體中文", "zh-Hans": "简体中文"}


def N_(message: str) -> str:  # noqa: N802 - the conventional name extractors look for
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def canonical_tag(text: str) -> str:
    """'zh_hant', 'ZH-HANT' -> 'zh-Hant'; 'EN' -> 'en'."""
    parts = text.strip().replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper())
    return "-".join(out)


@dataclass(frozen=True)
class Language:
    """A language to build in: its tag, its catalogue, and the digest of that catalogue."""

    tag: str
    translations: gettext.NullTranslations = field(
        default_factory=gettext.NullTranslations, repr=False, compare=False, hash=False
    )
    digest: str = ""  # of the catalogue's bytes; part of every output's fingerprint

    @cached_property
    def locale(self) -> Locale:
        return Locale.parse(self.tag.replace("-", "_"))

    @property
    def babel_locale(self) -> Locale:
        """For Babel's functions: the parsed locale, so that each call does not parse the tag again."""
        return self.locale

    @property
    def myriads(self) -> tuple[tuple[int, str], ...] | None:
        return MYRIADS.get(self.tag)

    @property
    def cjk_font(self) -> str | None:
        return CJK_FONTS.get(self.tag)

    @property
    def autonym(self) -> str:
        return AUTONYMS.get(self.tag) or self.locale.display_name or self.tag

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def pgettext(self, context: str, message: str) -> str:
        return self.translations.pgettext(context, message)


ENGLISH = Language(DEFAULT)


def catalogue_path(folder: Path, tag: str) -> Path:
    return folder / tag / CATALOGUE


def available(folder: Path) -> list[str]:
    """The languages with a catalogue in ``folder``, and English (which needs none)."""
    found = {DEFAULT}
    if folder.is_dir():
        found.update(p.name for p in folder.iterdir() if (p / CATALOGUE).is_file())
    return sorted(found)


def load_language(folder: Path, tag: str) -> Language:
    """The language ``tag`` with its catalogue from ``folder``; English without one uses the message ids."""
    tag = canonical_tag(tag)
    path = catalogue_path(folder, tag)
    if not path.is_file():
        if tag == DEFAULT:
            return ENGLISH
        raise SettingsError(
            f"no catalogue for language '{tag}': {path} does not exist (languages with a "
            f"catalogue: {', '.join(available(folder))}; see docs/languages.md)"
        )
    try:
        Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise SettingsError(f"'{tag}' is not a language Babel knows (write a tag such as zh-Hant)") from None
    try:
        catalog = read_po(io.BytesIO(path.read_bytes()), locale=tag.replace("-", "_"))
    except Exception as exc:  # noqa: BLE001 - a broken catalogue is a user error, located
        raise SettingsError(f"{path}: cannot read the catalogue: {exc}") from None
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Language(tag, Translations(compiled), _messages_digest(catalog))


def _messages_digest(catalog: Catalog) -> str:
    """A hash of what the catalogue says (not of its header, whose dates `make translations` refreshes)."""
    digest = hashlib.sha256()
    for message in sorted((m for m in catalog if m.id and not m.fuzzy), key=lambda m: (m.context or "", str(m.id))):
        digest.update(repr((message.context, message.id, message.string)).encode("utf-8") + b"\n")
    return digest.hexdigest()
