"""ntm-rules: does a Vietnamese rural commune meet the new rural area (nông thôn mới) standard?

    >>> import ntm_rules
    >>> ruleset = ntm_rules.load_ruleset("vn-2016-2020")
    >>> assessment = ntm_rules.assess(document, ruleset=ruleset)
"""
from .assess import Rejected, assess, assess_many
from .errors import EngineError, InputError, InternalError, NtmError, OutputError, RulesetError
from .inputs.columns import IgnoredColumnsWarning, document_from_row
from .law.load import load_ruleset
from .law.resolve import resolve
from .result import Assessment

__all__ = ["assess", "assess_many", "Rejected", "document_from_row", "read_table", "Row", "IgnoredColumnsWarning",
           "load_ruleset", "resolve", "Assessment",
           "NtmError", "InputError", "RulesetError", "OutputError", "EngineError", "InternalError"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """`read_table` and `Row` are imported when first used: reading workbooks needs modules that
    one commune from the command line never does (PEP 562)."""
    if name in ("read_table", "Row"):
        from .inputs import rows, sources

        return getattr(sources if name == "read_table" else rows, name)
    raise AttributeError(f"module 'ntm_rules' has no attribute {name!r}")
