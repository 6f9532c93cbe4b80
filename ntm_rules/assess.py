"""`assess` and `assess_many`: a commune document → the set that assesses it → resolved for its
region (or group) and year → the engine's findings → the outcome (`outcome.py`) → Assessment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from .engine import evaluate, fact_fields
from .errors import InputError, NtmError, RulesetError, Say, internal_error
from .inputs.document import document_model, parse_document
from .law.check import completeness
from .law.in_force import in_force_for
from .law.load import load_named_by, load_ruleset, load_ruleset_id, shipped_ruleset_paths
from .law.resolve import ResolvedRuleset, resolve
from .law.schema import Ruleset
from .outcome import Outcome, outcome_of
from .regions import region_of_province
from .result import Assessment, CommuneRef
from .statics import statics_of

DEFAULT_RULESET = "vn-2016-2020"


def chosen_ruleset(document, ruleset: str | os.PathLike | Ruleset | None) -> tuple[Ruleset, Say | None]:
    """The caller's ruleset (an id, a path or a loaded set), else the one the document names (by
    id only: a document never names a file), else the set in force for its year and assessment
    date: the province's own when one is installed, else the national one. With the reason, when
    the set was not named."""
    if ruleset is not None:
        return load_ruleset(ruleset), None
    if document.ruleset:
        return load_ruleset_id(document.ruleset), None
    return in_force_for({document.year}, document.assessment_date, document.commune.province, document.region)


def refuse_draft(ruleset: Ruleset) -> None:
    """A draft set (values still to be filled from the decision) never assesses a commune."""
    if ruleset.status == "draft":
        done, total = completeness(ruleset)
        raise InputError(Say(f"bộ tiêu chí {ruleset.id} là bản nháp: mới có {done}/{total} chỉ tiêu có ngưỡng cho mọi vùng "
                             "(nhóm) và mọi năm, nên không dùng để đánh giá xã",
                             f"ruleset {ruleset.id} is a draft: {done} of {total} indicators have values for every region "
                             "(group) and year, so it does not assess communes"), field="ruleset",
                         fix=Say("điền các ngưỡng còn thiếu theo quyết định, ghi status = final, rồi rulesets import lại",
                                 "fill the missing values from the decision, set status = final, and import it again"))


def dimension_of(document, ruleset: Ruleset) -> tuple[str, str]:
    """The region (or commune group) whose thresholds apply, and where it came from."""
    if ruleset.varies_by == "commune_group":
        if document.commune_group is None:
            raise InputError(Say(f"bộ tiêu chí {ruleset.id} chia theo nhóm xã mà tài liệu không ghi nhóm",
                                 f"ruleset {ruleset.id} varies by commune group and the document has none"),
                             field="commune_group", fix=Say("thêm commune_group: 1, 2 hoặc 3 (xem hợp đồng dữ liệu)",
                                                            "add commune_group: 1, 2 or 3 (see the contract)"))
        return str(document.commune_group), "document"
    if document.region:
        return document.region, "document"
    province = document.commune.province
    if province:
        region = region_of_province(province)
        if region:
            return region, "province"
        raise InputError(Say(f"không biết tỉnh {province!r} nên không suy ra được vùng",
                             f"province {province!r} is not a known province, so the region cannot be derived"),
                         field="commune.province",
                         fix=Say("ghi vùng (một trong bảy mã vùng) hoặc sửa tên tỉnh",
                                 "add region (one of the seven region ids) or correct the province name"))
    raise InputError(Say("không có vùng và không có tỉnh", "no region and no province"), field="region",
                     fix=Say("ghi vùng (ví dụ northern_midlands_mountains) hoặc tỉnh (commune.province)",
                             "add region (e.g. northern_midlands_mountains) or commune.province"))


class _Facts:
    """What a commune's fact holds under one resolved set, decided once: the fields compared, the
    fields that carry a lower set's verdict (by set id), the lists of options (sent as counts)."""

    def __init__(self, resolved: ResolvedRuleset):
        self.fields = fact_fields(resolved)
        self.verdicts = {c.field: c.verdict_of for _, c in resolved.checks if c.verdict_of}
        self.options = {c.field for _, c in resolved.checks if c.options}
        self.plain = not self.verdicts and not self.options and "assessment_year" not in self.fields


def _facts_of(resolved: ResolvedRuleset) -> _Facts:
    return resolved.made("facts", _Facts)


def outcome_for(document, ruleset: Ruleset) -> tuple[Outcome, str]:
    """The outcome of a validated document under a set, and where its region came from."""
    dimension, dimension_source = dimension_of(document, ruleset)
    resolved = resolve(ruleset, dimension, document.year)
    facts = _facts_of(resolved)
    data = document.data.__dict__
    if facts.plain:
        values = {name: data[name] for name in facts.fields if data.get(name) is not None}
        return outcome_of(resolved, values, *evaluate(resolved, values)), dimension_source
    lower: dict[str, Outcome] = {}
    values = {}
    for name in facts.fields:
        if name in facts.verdicts:  # the verdict of the set this one requires, by the same engine
            below = lower[facts.verdicts[name]] = outcome_for(document, load_named_by(ruleset, facts.verdicts[name]))[0]
            values[name] = below.attained
        elif name == "assessment_year":
            values[name] = document.year
        elif data.get(name) is not None:
            values[name] = data[name]
    counted = {k: (len(set(v)) if k in facts.options else v) for k, v in values.items()}
    found = evaluate(resolved, counted)
    return outcome_of(resolved, values, *found, lower=lower or None), dimension_source


def evaluate_document(document, ruleset: Ruleset, reason: Say | None = None) -> Assessment:
    """`reason`: why the set was chosen (the set in force), shown in the result's ruleset."""
    outcome, dimension_source = outcome_for(document, ruleset)
    resolved = outcome.resolved
    statics = statics_of(resolved)
    info = document.commune
    by_region = resolved.ruleset.varies_by == "region"
    return Assessment.of({
        "ruleset": statics.ref(reason),
        "commune": CommuneRef.trusted({"name": info.name, "district": info.district, "province": info.province,
                                       "code": info.code}),
        "region": resolved.dimension if by_region else None,
        "region_source": dimension_source if by_region else "none",
        "commune_group": None if by_region else int(resolved.dimension),
        "year": resolved.year}, outcome, statics)


def assess(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, *, source: str = "") -> Assessment:
    """Assess one commune document (a dict in the contract's shape, or a parsed document).

    Raises InputError for an unusable document, RulesetError for an unusable ruleset,
    EngineError if the rules engine fails and InternalError for a bug in ntm-rules; never
    anything that is not an NtmError.
    """
    return assess_document(commune, ruleset, source)


def assess_document(commune: Any, ruleset: str | os.PathLike | Ruleset | None = None, source: str = "",
                    from_json: bool = False) -> Assessment:
    """`assess`; `from_json`: the document is a dict `inputs.json_text.strict_json` read (the batch)."""
    try:
        caller = load_ruleset(ruleset) if ruleset is not None else None
        document = parse_document(commune, source, caller, from_json)
        try:
            chosen, reason = chosen_ruleset(document, caller)
        except RulesetError:
            if ruleset is not None or not document.ruleset:
                raise
            known = ", ".join(p.stem for p in shipped_ruleset_paths())
            raise InputError(Say(f"không có bộ tiêu chí {document.ruleset!r}", f"no ruleset {document.ruleset!r}"),
                             field="ruleset", fix=Say(f"dùng một trong {known}, hoặc một bộ trong thư mục của NTM_RULESETS_PATH",
                                                      f"use one of {known}, or one in a folder of NTM_RULESETS_PATH")) from None
        refuse_draft(chosen)
        return evaluate_document(document, chosen, reason)
    except InputError as error:
        raise error.at(source) if source and not error.source else error
    except NtmError:
        raise
    except Exception as error:
        raise internal_error(error) from error


@dataclass(frozen=True)
class Rejected:
    """A document `assess_many(..., errors="collect")` could not assess: its position and why."""

    index: int
    error: NtmError


def assess_many(communes: Iterable[Any], ruleset: str | os.PathLike | Ruleset | None = None, *,
                errors: str = "raise") -> Iterator[Assessment | Rejected]:
    """Assess communes one by one, yielding Assessments in input order.

    A bad document raises InputError whose ``index`` is its position in `communes`; with
    ``errors="collect"`` it yields ``Rejected(index, error)`` instead and goes on. Documents may
    be dicts from pandas (`document_from_row`): NaN is no data, numpy scalars their values.
    """
    if errors not in ("raise", "collect"):
        raise InputError(Say(f"errors={errors!r} không có", f"errors={errors!r} is not an option"), field="errors",
                         fix=Say('dùng "raise" hoặc "collect"', 'use "raise" or "collect"'))
    fixed = load_ruleset(ruleset) if ruleset is not None else None
    if fixed is not None:
        refuse_draft(fixed)
    chosen: dict[tuple, tuple[Ruleset, Say | None]] = {}
    model = document_model(fixed)  # one look at the installed sets for the whole call
    for index, commune in enumerate(communes):
        try:
            document = parse_document(commune, ruleset=fixed, model=model)
            use, reason = fixed, None
            if use is None:
                key = (document.ruleset, document.year, document.assessment_date, document.commune.province,
                       document.region)
                found = chosen.get(key)
                if found is None:
                    found = chosen[key] = chosen_ruleset(document, None)
                    refuse_draft(found[0])
                use, reason = found
            result = evaluate_document(document, use, reason)
        except InputError as error:
            failure = InputError(error.says, source=error.source or f"item {index}", field=error.field,
                                 fix=error.fixes, index=index)
            if errors == "collect":
                yield Rejected(index, failure)
                continue
            raise failure from None
        except RulesetError as error:
            if errors == "collect":
                yield Rejected(index, error)
                continue
            raise
        except NtmError:
            raise
        except Exception as error:
            raise internal_error(error) from error
        yield result
