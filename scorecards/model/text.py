"""Free text in several languages: a note, a highlight, a label or a segment name as the analyst wrote it.

A ``Text`` is the text as written (a ``str``, so that code which only needs the words, such as the data files,
takes it as it is), and carries its versions in other languages. The page picks the reader's language where the
file gives it, and otherwise shows the written text marked with its language (``lang=``).

>>> t = Text.of({"en": "Above market expectations.", "zh-Hant": "高於市場預期。"})
>>> str(t), t.lang, t.version("zh-Hant"), t.version("zh-Hans")
('Above market expectations.', 'en', '高於市場預期。', None)
>>> Text.of("Fastest growth in 13 quarters.").lang   # plain text is in the file's language, English by default
'en'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WRITTEN = "en"  # the language of text written as a plain string


class Text(str):
    """Text as written (the ``str`` itself, in ``lang``), with its versions by language tag (``versions``)."""

    lang: str
    versions: dict[str, str]

    def __new__(cls, written: str, lang: str = WRITTEN, versions: Mapping[str, str] | None = None) -> Text:
        self = super().__new__(cls, written)
        self.lang = lang
        self.versions = {lang: written, **dict(versions or {})}
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled with its versions (the scorecard cache)
        return (Text, (str(self), self.lang, self.versions))

    @classmethod
    def of(cls, value: str | Mapping[str, str], written: str = WRITTEN) -> Text:
        """A plain string (in ``written``), or a mapping of language tags to texts; the text shown as written is
        the ``written`` language's, else the first given."""
        if isinstance(value, Text):
            return value
        if isinstance(value, str):
            return cls(value, written)
        versions = dict(value)
        lang = written if written in versions else next(iter(versions))
        return cls(versions[lang], lang, versions)

    def version(self, tag: str) -> str | None:
        """The text in ``tag``, or None when the file does not give it."""
        return self.versions.get(tag)

    def has(self, tag: str) -> bool:
        return tag in self.versions


def lacks(value: object, tag: str) -> bool:
    """Whether ``value`` is free text the file does not give in language ``tag``."""
    return isinstance(value, Text) and not value.has(tag)
