"""Reading amounts the way analysts write them, without losing precision.

>>> parse_amount("777.7M")
Amount(mantissa=Decimal('777.7'), unit=<Unit.PLAIN: 'plain'>, scale='M', qualifier='', currency='')
>>> parse_amount("0.30").places
2

An amount keeps the digits as written (``Decimal('0.30')`` is not ``0.3``) and
the scale it was written in, so it can be shown again exactly as typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from scorecards.errors import AmountError


class Unit(str, Enum):
    PLAIN = "plain"  # a number, optionally scaled: 777.7M, 0.45, 8.0M
    PERCENT = "percent"  # 35.9%
    POINTS = "pp"  # a change in percentage points: -7.4pp (or basis points)
    MULTIPLE = "x"  # 2.5x


SCALES = {"": 0, "K": 3, "M": 6, "B": 9, "T": 12}
SCALE_WORDS = {
    "k": "K",
    "thousand": "K",
    "m": "M",
    "mm": "M",
    "mn": "M",
    "mln": "M",
    "million": "M",
    "b": "B",
    "bn": "B",
    "bln": "B",
    "billion": "B",
    "t": "T",
    "tn": "T",
    "trillion": "T",
}
UNIT_WORDS = {
    "%": (Unit.PERCENT, ""),
    "pp": (Unit.POINTS, ""),
    "ppt": (Unit.POINTS, ""),
    "ppts": (Unit.POINTS, ""),
    "bp": (Unit.POINTS, "bp"),
    "bps": (Unit.POINTS, "bp"),
    "x": (Unit.MULTIPLE, ""),
    "×": (Unit.MULTIPLE, ""),
}
CURRENCY_SIGNS = {"$": "USD", "US$": "USD", "¥": "JPY", "JP¥": "JPY", "€": "EUR", "£": "GBP"}
QUALIFIERS = {"~": "~", "≈": "~", "about": "~", ">": ">", "<": "<"}

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"
_PATTERN = re.compile(
    r"^(?P<qual>~|≈|>|<)?\s*"
    r"(?P<sign1>[+\-−])?\s*"
    r"(?P<cur>US\$|JP¥|[$¥€£])?\s*"
    r"(?P<sign2>[+\-−])?\s*"
    r"(?P<num>" + _NUMBER + r")\s*"
    r"(?P<suffix>[A-Za-z%×]*)$"
)


@dataclass(frozen=True)
class Amount:
    """A number as written: digits, unit, scale, and an optional qualifier."""

    mantissa: Decimal
    unit: Unit = Unit.PLAIN
    scale: str = ""  # '', 'K', 'M', 'B', 'T' for plain; 'bp' for basis points
    qualifier: str = ""  # '', '~' (about), '>' (more than), '<' (less than)
    currency: str = ""  # ISO code when a currency sign was typed

    @property
    def value(self) -> Decimal:
        """The amount in units (777.7M -> 777700000; 74bp -> 0.74 pp)."""
        if self.scale == "bp":
            return self.mantissa.scaleb(-2)
        return self.mantissa.scaleb(SCALES[self.scale])

    @property
    def places(self) -> int:
        """Decimal places as written in the chosen scale: '0.30' -> 2."""
        exponent = self.mantissa.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0

    @property
    def exponent(self) -> int:
        """Power of ten of the last written digit, in units (777.7M -> 5)."""
        exponent = self.mantissa.as_tuple().exponent
        assert isinstance(exponent, int)
        return exponent + (SCALES[self.scale] if self.scale != "bp" else -2)

    @property
    def approximate(self) -> bool:
        return self.qualifier != ""

    @property
    def written(self) -> str:
        """The amount in the tool's own notation: '0.45M', '35.9', '-7.4pp'."""
        suffix = {Unit.PERCENT: "%", Unit.POINTS: "bp" if self.scale == "bp" else "pp", Unit.MULTIPLE: "x"}
        scale = "" if self.scale == "bp" else self.scale
        return f"{self.qualifier}{self.mantissa}{scale}{suffix.get(self.unit, '')}"

    def with_value(self, value: Decimal, *, scale: str | None = None) -> Amount:
        """A new amount of the same unit holding ``value`` (in units), in a scale."""
        scale = self.scale if scale is None else scale
        shift = -2 if scale == "bp" else SCALES[scale]
        return Amount(value.scaleb(-shift), self.unit, scale, "", self.currency)


# No reported figure needs more digits than this (a trillion to the unit has 13); exact arithmetic and formatting
# keep 28 significant digits, which a longer amount would overflow.
MAX_DIGITS = 18


def parse_amount(text: object) -> Amount:
    """Read one amount; raise AmountError with a hint when it cannot be read."""
    if isinstance(text, bool) or text is None:
        raise AmountError(f"expected an amount, got {text!r}", "write e.g. 777.7M, 0.45 or 35.9%")
    raw = str(text).strip()
    if not raw:
        raise AmountError("empty amount", "write e.g. 777.7M, 0.45 or 35.9%")
    lowered = raw.lower().lstrip("+-−~<> ")
    if lowered in {".nan", "nan", ".inf", "inf", "infinity"}:
        raise AmountError(
            f"'{raw}' is not a finite number", "write the figure, or leave the field out when it is unknown"
        )
    text_ = raw
    qualifier = ""
    if text_.lower().startswith("about "):
        qualifier, text_ = "~", text_[6:]
    match = _PATTERN.match(text_)
    if match is None:
        raise _explain(raw)
    if match["sign1"] and match["sign2"]:
        raise AmountError(f"'{raw}' has two signs", "write one sign, e.g. -1.2B")
    qualifier = QUALIFIERS.get(match["qual"] or "", qualifier)
    sign = "-" if (match["sign1"] or match["sign2"]) in ("-", "−") else ""
    number = match["num"].replace(",", "")
    digits = len(number.replace(".", "").lstrip("0"))
    if digits > MAX_DIGITS:
        raise AmountError(
            f"'{raw}' has {digits} digits", f"write an amount with at most {MAX_DIGITS} digits, e.g. 3.714T"
        )
    suffix = match["suffix"]
    unit, scale = _read_suffix(suffix, raw)
    currency = CURRENCY_SIGNS.get(match["cur"] or "", "")
    if currency and unit is not Unit.PLAIN:
        raise AmountError(f"'{raw}' mixes a currency sign with '{suffix}'", "drop the currency sign")
    try:
        mantissa = Decimal(sign + number)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise _explain(raw) from None
    return Amount(mantissa, unit, scale, qualifier, currency)


def _read_suffix(suffix: str, raw: str) -> tuple[Unit, str]:
    if suffix in SCALES:
        return Unit.PLAIN, suffix
    lowered = suffix.lower()
    if lowered in SCALE_WORDS:
        return Unit.PLAIN, SCALE_WORDS[lowered]
    if lowered in UNIT_WORDS:
        return UNIT_WORDS[lowered]
    raise AmountError(
        f"'{raw}' has an unknown scale or unit '{suffix}'",
        "use K, M, B or T for thousand, million, billion, trillion; % for percent; pp for percentage points",
    )


def _explain(raw: str) -> AmountError:
    """The most useful message for text that is not an amount."""
    if re.fullmatch(r"[~<>]?\s*[+\-−]?\s*[$¥€£]?\s*\d+,\d{1,2}\s*[A-Za-z%]*", raw):
        fixed = raw.replace(",", ".")
        return AmountError(
            f"'{raw}' is ambiguous: a comma is not a decimal point here",
            f"write {fixed} if you mean a decimal, or group thousands in threes like 1,234.5M",
        )
    if re.search(r"\d\.\d*\.", raw):
        return AmountError(f"'{raw}' has more than one decimal point", "write e.g. 1234.5M")
    if re.search(r"\d,\d", raw):
        return AmountError(
            f"'{raw}' has misplaced thousands separators",
            "group digits in threes, like 1,234.5M, or leave the commas out",
        )
    if re.search(r"\d\s+\d", raw):
        return AmountError(f"'{raw}' has a space inside the number", "write the digits together, e.g. 1234.5M")
    return AmountError(f"cannot read '{raw}' as an amount", "write e.g. 777.7M, 3.1B, 0.45, 35.9% or -7.4pp")


def format_plain(value: Decimal) -> str:
    """A Decimal written without exponent, keeping its places: 1E+1 -> '10'."""
    return f"{value:f}"
