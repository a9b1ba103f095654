"""Conversion rates the user supplies in inputs/fx.yaml, so money in different currencies can be compared.

Money in different currencies is never added or compared without a rate the
user gave; where one is used, the page says which and as of when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scorecards.errors import InputError
from scorecards.load.yaml import load_yaml

FX_FILE = "fx.yaml"


class RatesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    base: str = Field(pattern=r"^[A-Z]{3}$", description="The currency amounts are converted into, e.g. USD.")
    as_of: dt.date
    source: str = Field(min_length=1, description="Where the rates come from.")
    rates: dict[str, str] = Field(description="Units of the base currency for one unit of each currency.")


@dataclass(frozen=True)
class Rates:
    base: str
    as_of: dt.date
    source: str
    rates: dict[str, Decimal] = field(hash=False)
    path: str = ""

    def rate(self, currency: str) -> Decimal | None:
        """Base units per unit of ``currency``; None when no rate was given."""
        return Decimal(1) if currency == self.base else self.rates.get(currency)


def load_rates(folder: Path) -> Rates | None:
    """inputs/fx.yaml if present; InputError with located problems if it is wrong."""
    path = folder / FX_FILE
    if not path.exists():
        return None
    doc = load_yaml(path)  # a regular file of at most a megabyte: never a FIFO or a link to /dev/zero
    try:
        data = RatesIn.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError([doc.problem(tuple(e["loc"]), e["msg"]) for e in exc.errors()]) from None
    rates: dict[str, Decimal] = {}
    problems = list(doc.problems)
    for currency, text in data.rates.items():
        try:
            rate = Decimal(str(text))
        except InvalidOperation:
            rate = Decimal(0)
        if len(currency) != 3 or not currency.isupper():
            problems.append(
                doc.problem(("rates", currency), f"'{currency}' is not a currency code", "e.g. JPY", key=True)
            )
        elif not rate.is_finite() or rate <= 0:
            problems.append(
                doc.problem(
                    ("rates", currency),
                    f"'{text}' is not a positive rate",
                    f"write how many {data.base} one {currency} buys, e.g. 0.0065",
                )
            )
        else:
            rates[currency] = rate
    if problems:
        raise InputError(problems)
    return Rates(data.base, data.as_of, data.source, rates, str(path))
