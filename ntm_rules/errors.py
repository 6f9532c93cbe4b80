"""The errors a library user can meet. Each carries lines fit to print as they are.

Unusable input, ruleset or output folder: InputError, RulesetError, OutputError (the CLI's
exit 2). A failure of ntm-rules itself: EngineError, InternalError (exit 3): never presented
as a verdict or as a problem with the data.
"""
from __future__ import annotations

import re
from contextvars import ContextVar
from typing import NamedTuple

# Where a message (an error's fix, a reason) names something the user does through a front (an
# option of the command line, a parameter of the HTTP API, an argument of the library), it says it
# as a marker, ⟪name⟫ or ⟪name:argument|argument…⟫, and the front that shows the message words it: each front
# sets FRONT to its words (`cli.WORDS`, `service.answers.WORDS`) for as long as it runs; the
# library's own are `LIBRARY`. So the HTTP API never tells a caller to add a command-line flag.
_CALLS = {  # the same in both languages: what a library caller calls
    "overwrite": "overwrite=True", "rulesets_list": "ntm_rules.law.in_force.installed()",
    "template": "ntm_rules.inputs.template.write_template", "rulesets_import": "ntm_rules.law.tables.import_workbook",
    "rerun_batch": "run_batch(..., overwrite=True)", "batch_db": "ntm_rules.history.store_batch",
    "amend": "ntm_rules.history.amend_batch", "rulesets_export": "ntm_rules.law.tables.export",
    "rulesets_template": "ntm_rules.law.tables.draft", "keys_add": "ntm_rules.service.keys.add_key",
    "keys_list": "ntm_rules.service.keys.listed", "keys_remove": "ntm_rules.service.keys.remove_key"}
LIBRARY = {
    "vi": {**_CALLS, "ruleset": "tham số ruleset", "ruleset_path": "tham số ruleset=ĐƯỜNG_DẪN", "out": "tham số out_dir",
           "extends": "tham số extends", "schema_input": "ntm_rules.inputs.document.input_json_schema(bộ tiêu chí)",
           "period_template": "ntm_rules.law.tables.draft('{0}') rồi ntm_rules.law.tables.export",
           "replace": "tham số replace=True của ntm_rules.history.store_batch",
           "token_file": "tham số token_file", "host": "tham số host", "db": "tham số path của ntm_rules.history.connect",
           "plan": "ntm_rules.reports.plan.write_plan(assessment, '{2}')", "keys": "tham số keys_file",
           "port": "tham số port", "allowed_host": "tham số allowed_hosts", "province": "tham số province"},
    "en": {**_CALLS, "ruleset": "the ruleset argument", "ruleset_path": "the argument ruleset=PATH",
           "out": "the out_dir argument", "extends": "the extends argument",
           "schema_input": "ntm_rules.inputs.document.input_json_schema(ruleset)",
           "period_template": "ntm_rules.law.tables.draft('{0}'), then ntm_rules.law.tables.export",
           "replace": "the replace argument of ntm_rules.history.store_batch",
           "token_file": "the token_file argument", "host": "the host argument",
           "db": "the path argument of ntm_rules.history.connect",
           "plan": "ntm_rules.reports.plan.write_plan(assessment, '{2}', lang='en')", "keys": "the keys_file argument",
           "port": "the port argument", "allowed_host": "the allowed_hosts argument", "province": "the province argument"},
}
FRONT: ContextVar[dict] = ContextVar("ntm_rules_front", default=LIBRARY)
_MARKER = re.compile("⟪([a-z_]+)(?::([^⟫]*))?⟫")


def worded(text: str, lang: str = "vi") -> str:
    """A message with its markers worded by the front that shows it (see FRONT)."""
    if "⟪" not in text:
        return text
    words = FRONT.get()
    table = words.get("en" if lang == "en" else "vi", {})
    return _MARKER.sub(lambda m: table.get(m.group(1), m.group(1)).format(*(m.group(2) or "").split("|")), text)


class Say(NamedTuple):
    """A message in the two languages of the reports: Vietnamese (the default) and English."""

    vi: str
    en: str

    def __call__(self, lang: str = "vi") -> str:
        return worded(self.en, "en") if lang == "en" else worded(self.vi, "vi")

    def __str__(self) -> str:  # where one language must do (a ruleset error, a log): English
        return worded(self.en, "en")

    def __format__(self, spec: str) -> str:
        return format(worded(self.en, "en"), spec)


def _pair(text) -> Say:
    if isinstance(text, Say):
        return Say(printable(text.vi), printable(text.en))
    text = printable(text or "")
    return Say(text, text)


class NtmError(Exception):
    """Base of every error ntm_rules raises."""


class RulesetError(NtmError):
    """A ruleset file could not be used. ``problems`` holds one line per problem."""

    SHOWN = 20  # a hostile file can hold thousands of problems: the first ones say enough

    def __init__(self, problems: list[str], vi: list[str] | None = None):
        lines = [worded(printable(p), "en") for p in problems[:self.SHOWN]]
        if len(problems) > self.SHOWN:
            lines.append(f"… and {len(problems) - self.SHOWN} more problems")
        self.problems = lines
        # the same problems in Vietnamese, where they are written in both languages
        self.problems_vi = [worded(printable(p), "vi") for p in vi[:self.SHOWN]] if vi else None
        super().__init__("\n".join(self.problems))

    def lines(self, lang: str = "en") -> list[str]:
        return self.problems_vi if lang == "vi" and self.problems_vi else self.problems


class InputError(NtmError):
    """An input (a commune document, a row, a file) could not be used: names the source, the field
    and the fix, in Vietnamese and English (`line(lang)`; `str()` is the English line).

    ``index`` is the position of the document in `assess_many`'s input, when it came from there.
    """

    def __init__(self, message: str | Say, *, source: str = "", field: str = "", fix: str | Say = "",
                 index: int | None = None):
        self.source, self.field = printable(source), printable(field)
        self.says, self.fixes = _pair(message), _pair(fix)
        self.index = index
        self.also: list[InputError] = []  # further problems of the same input (a table's other cells)
        super().__init__(self.line("en"))

    def lines(self, lang: str = "en") -> list[str]:
        """This problem's line, then those of the further problems found with it."""
        return [self.line(lang)] + [other.line(lang) for other in self.also]

    @property
    def message(self) -> str:
        return self.says.en

    @property
    def fix(self) -> str:
        return self.fixes.en

    def line(self, lang: str = "en") -> str:
        source = self.source if len(self.source) <= 160 else self.source[:70] + "…" + self.source[-70:]
        parts = [p for p in (source, worded(self.field, lang)) if p]
        where = ": ".join(parts)
        message, fix = self.says(lang), self.fixes(lang)
        text = f"{where}: {message}" if where else message
        word = "cách sửa" if lang == "vi" else "fix"
        return f"{text}; {word}: {fix}" if fix else text

    def at(self, source: str) -> "InputError":
        return InputError(self.says, source=source, field=self.field, fix=self.fixes, index=self.index)


class OutputError(NtmError):
    """An output file or folder could not be written (missing, read-only, full). `line(lang)`."""

    def __init__(self, message: str | Say):
        self.says = _pair(message)
        super().__init__(self.says.en)

    def line(self, lang: str = "en") -> str:
        return self.says(lang)


class EngineError(NtmError):
    """The rules engine failed; the message says what happened, never a bare C code."""


class InternalError(NtmError):
    """A bug in ntm-rules: an unexpected exception, kept as ``__cause__``. Never a verdict."""


def internal_error(error: BaseException) -> InternalError:
    """An unexpected exception as the one error a caller can tell from bad input: a bug of ours."""
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" at {frame.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.tb_lineno}" if frame else ""
    internal = InternalError(f"internal error ({type(error).__name__}{where}): a bug in ntm-rules, "
                             "not a problem with the data")
    internal.__cause__ = error
    return internal


# C0 controls but tab and newline, DEL, C1 controls: they can drive a terminal (ESC [ ...);
# bidirectional overrides and isolates: they can make a line read other than it is.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, keep_newlines: bool = True) -> str:
    """Text safe to print: control characters removed, lone surrogates written as \\udc80."""
    if not isinstance(text, str):
        text = str(text)
    if text.isprintable():  # no control, format (the overrides), separator but space, or surrogate
        return text
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = _CONTROL.sub("", text)
    return text if keep_newlines else text.replace("\n", " ")
