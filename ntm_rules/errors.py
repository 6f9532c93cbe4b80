"""The errors a library user can meet. Each carries lines fit to print as they are."""
from __future__ import annotations


class NtmError(Exception):
    """Base of every error ntm_rules raises on purpose."""


class RulesetError(NtmError):
    """A ruleset file could not be used. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class InputError(NtmError):
    """A commune document could not be used: names the source, the field and the fix."""

    def __init__(self, message: str, *, source: str = "", field: str = "", fix: str = ""):
        self.source, self.field, self.message, self.fix = source, field, message, fix
        super().__init__(self.line())

    def line(self) -> str:
        parts = [p for p in (self.source, self.field) if p]
        where = ": ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text}; fix: {self.fix}" if self.fix else text

    def at(self, source: str) -> "InputError":
        return InputError(self.message, source=source, field=self.field, fix=self.fix)


class EngineError(NtmError):
    """The rules engine failed; the message says what happened, never a bare C code."""
