"""The project's error types.

This module imports nothing else from the package, so every stage can raise
these errors and only the CLI turns them into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one input file, located as precisely as we can."""

    path: str
    line: int
    col: int
    field: str
    message: str
    hint: str = ""
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" + (f":{self.col}" if self.col else "")  # col 0: a whole line (CSV rows)
        field = f" {self.field}:" if self.field else ""
        level = " warning:" if self.warning else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}:{level}{field} {self.message}{hint}"


class ScorecardError(Exception):
    """Base class: a problem the user can act on, shown without a traceback."""

    exit_code = 1


class InputError(ScorecardError):
    """One or more problems in input files; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class AmountError(ValueError):
    """An amount such as '12,3B' that cannot be read; carries a hint."""

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(message)


class BuildError(ScorecardError):
    """The build could not write or render its outputs."""


class SettingsError(ScorecardError):
    """The [tool.scorecard] settings are invalid."""


class FilingError(ScorecardError):
    """An SEC companyfacts file that cannot be read, or a period it cannot be asked about."""


class FetchError(ScorecardError):
    """A download from the SEC failed: no User-Agent set, the network, or the SEC's answer."""


class MailError(ScorecardError):
    """The e-mail could not be composed: a missing PDF, a message too large, an unusable outbox."""


class SendError(ScorecardError):
    """The e-mail could not be sent: SMTP settings, the connection, the login, the server's refusal."""
