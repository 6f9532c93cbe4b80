"""The durable_rules engine: a resolved ruleset compiled to rules, one commune asserted as one fact.

Design (see ../shared/notes/durable-rules.md):
- One Host per process, behind one lock. Our Host starts no timer threads: durable's stock
  Host dispatches pending actions from a background thread every 0.2 s, which races with the
  caller; here every action runs in the asserting thread, under the lock.
- Rules fire only findings: per check, "not met" (the value is on the wrong side of the
  threshold) and "missing" (the field is absent). "Met" is derived from their absence.
- A catch-all rule on the commune's own id (``cid``) fires for every commune: it keeps a
  commune that passes everything from raising MessageNotHandledException, and its firing is
  the receipt that the whole assertion ran; no receipt is an error, never a silent "met".
- One commune per ``assert_fact``, a fixed session id; after it, its fact is retracted and the
  session checked to hold no fact (else it is deleted): no commune's fact meets the next one's,
  and the C session pool never grows (a few kept sessions, `LIVE_SESSIONS`). Compiled rulesets
  are named and cached by content hash.
"""
from __future__ import annotations

import hashlib
import itertools
from collections import OrderedDict
import json
import re
import threading

import durable.engine
import durable_rules_engine
import orjson

from .errors import EngineError
from .law.resolve import ResolvedRuleset

_SID = "ntm"
RECEIPT = -1

_C_ERRORS = {
    "101": "the rules engine ran out of memory",
    "102": "the rules engine's session pool is exhausted",
    "105": "the ruleset definition could not be parsed by the rules engine",
    "202": "a rule condition has a form the rules engine does not accept",
    "302": "the commune has more properties than one fact can carry (255)",
    "303": "the ruleset has more rules than the rules engine can hold",
    "307": "the rules engine lost track of a fact while running actions",
}


def number_text(value: float) -> str:
    """A float as durable_rules' C parser reads it exactly.

    The parser accepts an exponent only after a decimal point: Python writes 1e-05 and 1e+16,
    which it refuses (error 204), so those become 1.0e-05 and 1.0e+16 (the same double).
    """
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            text = f"{mantissa}.0e{exponent}"
    return text


def durable_json(obj) -> str:
    """JSON for the rules engine: like json.dumps, with floats as `number_text` writes them."""
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if obj is None:
        return "null"
    if isinstance(obj, float):
        return number_text(obj)
    if isinstance(obj, (int, str)):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{durable_json(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(durable_json(v) for v in obj) + "]"
    raise TypeError(f"cannot give the rules engine a {type(obj).__name__}")


def _fact_json(fact: dict) -> str:
    """`durable_json` of a commune's fact: `_numbers_plain`'s test, inline for a flat dict (it runs
    for every commune), then orjson."""
    for value in fact.values():
        kind = type(value)
        if kind is float:
            if value and not 1e-4 <= abs(value) < 1e16:  # repr would use an exponent
                return durable_json(fact)
        elif kind is not int and kind is not bool and kind is not str:
            return durable_json(fact)
    return _orjson_or_durable(fact)


def _numbers_plain(obj) -> bool:
    """Every float in obj is written by repr without an exponent (so orjson writes it as
    `number_text` would), and obj holds only what JSON holds."""
    kind = type(obj)
    if kind is dict:
        return all(type(k) is str and _numbers_plain(v) for k, v in obj.items())
    if kind is list or kind is tuple:
        return all(_numbers_plain(v) for v in obj)
    if kind is float:
        return obj == 0 or 1e-4 <= abs(obj) < 1e16
    return kind is str or kind is int or kind is bool or obj is None


def definition_json(definition: dict) -> str:
    """`durable_json` of a ruleset definition; by orjson when its numbers allow (several times faster)."""
    return _orjson_or_durable(definition) if _numbers_plain(definition) else durable_json(definition)


def _orjson_or_durable(obj) -> str:
    """obj (whose numbers `_numbers_plain` allows) by orjson: it writes numbers, yes/no and texts as
    json.dumps(ensure_ascii=False) does (the shortest round-trip digits, no exponent in this range;
    the same escapes), several times faster; by `durable_json` what orjson refuses (an integer
    beyond 64 bits)."""
    try:
        return orjson.dumps(obj).decode()
    except (orjson.JSONEncodeError, TypeError):
        return durable_json(obj)


class _ExactRuleset(durable.engine.Ruleset):
    """durable's Ruleset with numbers written so that its C parser reads every valid float
    (durable-rules is pinned at 2.0.28, its last release: this mirrors its Ruleset.__init__)."""

    def __init__(self, name, host, definition):  # (not super().__init__: it would encode with json.dumps)
        self._actions = {}
        self._name = name
        self._host = host
        for rule_name, rule in definition.items():
            self._actions[rule_name] = durable.engine.Promise(rule.pop("run"))
        self._functions = {name: promise._func for name, promise in self._actions.items()}  # read per action
        self._handle = durable_rules_engine.create_ruleset(name, definition_json(definition))
        self._definition = definition

    def assert_fact(self, fact, text: str | None = None):
        """`text`: the fact as `_fact_json` writes it, when the caller has written it already."""
        return self._handle_result(durable_rules_engine.assert_fact(self._handle, _fact_json(fact) if text is None
                                                                    else text), fact)

    def do_actions(self, state_handle, complete):
        """Run the actions of the rules that fired, in the asserting thread.

        durable's own loop builds a Closure per action: it decodes the session state and the
        message from JSON, then encodes the state again and writes it back (about 45 µs an
        action, most of the engine's time). Our actions only record which rule fired and never
        touch the state, so this loop reads the rule's name from the message and nothing else;
        the state is never written back (it is deleted after each commune anyway). The tests
        compare every finding with a plain-Python reference over tens of thousands of communes."""
        try:
            result = durable_rules_engine.start_action_for_state(self._handle, state_handle)
            message = result[1] if result else None
            functions, handle = self._functions, self._handle
            while message:
                # '{"c12_not_met":{...}}': our rule names hold no quote, so the name ends at the next one
                functions[message[2:message.index('"', 2)]](None)
                message = durable_rules_engine.complete_and_start_action(handle, state_handle)
            complete(None, None)
        except Exception as error:  # raised again by `assert_and_run` (Ctrl-C goes through at once)
            complete(error, None)

    def assert_and_run(self, fact: dict, text: str) -> None:
        """What durable's Host.assert_fact does for this ruleset (assert, then run the actions in
        this thread, raising what they raise), without the Host's lookups and callbacks."""
        state = self.assert_fact(fact, text)
        failed = []
        self.do_actions(state, lambda error, _: failed.append(error) if error else None)
        if failed:
            raise failed[0]

    def forget(self, sid: str) -> None:
        durable_rules_engine.delete_state(self._handle, sid)

    def retract(self, sid: str, fact_id: int) -> bool:
        """Retract the fact of this id (durable_rules finds a fact by its id alone: the commune's
        fifty values are not parsed again); whether the session then holds no fact at all."""
        try:
            durable_rules_engine.retract_fact(self._handle, f'{{"sid":"{sid}","id":{fact_id}}}')
            return durable_rules_engine.get_facts(self._handle, sid) == "[]"
        except Exception:  # the caller deletes the session instead
            return False


class _SynchronousHost(durable.engine.Host):
    """A durable_rules Host without its background dispatch threads, registering `_ExactRuleset`s."""

    def _run(self):  # noqa: D401 - replaces the timer threads of the stock Host
        pass

    def register_rulesets(self, ruleset_definitions):
        for name, definition in ruleset_definitions.items():
            if name in self._ruleset_directory:
                raise EngineError(f"ruleset {name} is already registered")
            ruleset = _ExactRuleset(name, self, definition)
            self._ruleset_directory[name] = ruleset
            self._ruleset_list.append(ruleset)
        return list(ruleset_definitions)

    def forget_ruleset(self, name: str, ruleset: "_ExactRuleset") -> None:
        """Delete a registered ruleset from the engine (its name may be registered again)."""
        _close_session(name)
        del self._ruleset_directory[name]
        self._ruleset_list.remove(ruleset)
        durable_rules_engine.delete_ruleset(ruleset._handle)


def describe_engine_error(error: BaseException) -> str:
    text = str(error)
    match = re.search(r"error code:?\s*(\d+)", text)
    if match:
        code = match.group(1)
        return f"{_C_ERRORS.get(code, 'the rules engine failed')} (durable_rules error {code})"
    if isinstance(error, MemoryError):
        return "the rules engine's session pool is exhausted"
    if isinstance(error, durable.engine.MessageNotHandledException):
        return "no rule handled the commune (the catch-all rule is missing)"
    return f"the rules engine failed: {type(error).__name__}: {text[:200]}"


_lock = threading.RLock()
_host: durable.engine.Host | None = None
# The rules registered in the engine, by their content, the least recently used first; beyond
# MAX_REGISTERED, the oldest are deleted from the engine (durable_rules' `delete_ruleset`). Only
# ever touched under the lock, which `evaluate` holds from finding the rules to using them.
MAX_REGISTERED = 256
_registered: OrderedDict[str, "_ExactRuleset"] = OrderedDict()
_findings: list[int] = []
_commune_ids = itertools.count(1)
# The rules whose session is kept between communes, the least recently used first. Making a
# session costs more than assessing in it: durable_rules clears about 8 KiB for each of the ~100
# rules (MAX_LEFT/RIGHT_FRAME_INDEX_LENGTH); retracting the commune's fact instead, and checking
# that the session then holds no fact, costs a third of that (benchmarks/batch.py's communes: the
# engine's part of one, 80 → 55 µs; retracted by its id rather than by its values, 67 → 53 µs in
# the same minutes). A kept session holds about 1 MiB: at most LIVE_SESSIONS.
LIVE_SESSIONS = 16
_sessions: OrderedDict[str, "_ExactRuleset"] = OrderedDict()


def _keep_session(key: str, rules: "_ExactRuleset") -> None:
    """Keep a session that holds no fact (call with the lock), the oldest closed beyond the bound."""
    _sessions[key] = rules
    _sessions.move_to_end(key)
    while len(_sessions) > LIVE_SESSIONS:
        _close_session(next(iter(_sessions)))


def _close_session(key: str) -> None:
    """Delete a kept session (call with the lock). It holds no fact (checked when it was kept): if
    durable_rules cannot delete it, it stays empty, and is used again or goes with its rules."""
    rules = _sessions.pop(key, None)
    if rules is not None:
        try:
            rules.forget(_SID)
        except Exception:
            pass


def _host_instance() -> durable.engine.Host:
    global _host
    if _host is None:
        _host = _SynchronousHost()
    return _host


def not_met_condition(field: str, operator: str, threshold) -> dict:
    """The durable_rules condition under which `field` fails `operator threshold`."""
    if isinstance(threshold, bool):
        return {field: not threshold}
    if operator == ">=":
        return {"$lt": {field: threshold}}
    if operator == "<=":
        return {"$gt": {field: threshold}}
    return {"$or": [{"$lt": {field: threshold}}, {"$gt": {field: threshold}}]}


def missing_condition(field: str) -> dict:
    # Joined with the commune id: the session state lacks every field too, and is re-asserted
    # after each action, so a bare `$nex` would match it and loop.
    return {"$and": [{"$ex": {"cid": 1}}, {"$nex": {field: 1}}]}


# factor × other is computed in binary floating point, which can land a hair above the exact
# decimal product (1.5 × 27.3 = 40.949999999999996, but 1.5 × 0.1 = 0.15000000000000002): a
# commune exactly at the threshold would fail. The factor is widened by far less than any
# meaningful difference and far more than the rounding error (about 1e-16).
RELATIVE_TOLERANCE = 1e-12


def relative_not_met_condition(field: str, operator: str, factor, other: str) -> dict:
    """`field` fails `operator factor × other` (both present): durable_rules arithmetic on the fact."""
    widened = factor * (1 - RELATIVE_TOLERANCE) if operator == ">=" else factor * (1 + RELATIVE_TOLERANCE)
    product = {"$mul": {"$l": {"$m": other}, "$r": widened}}
    compare = {"$lt": {field: product}} if operator == ">=" else {"$gt": {field: product}}
    return {"$and": [{"$ex": {field: 1}}, {"$ex": {other: 1}}, compare]}


def either_missing_condition(field: str, other: str) -> dict:
    return {"$and": [{"$ex": {"cid": 1}}, {"$or": [{"$nex": {field: 1}}, {"$nex": {other: 1}}]}]}


def fact_fields(resolved: ResolvedRuleset) -> tuple[str, ...]:
    """Every field a commune's fact carries for this ruleset (checked fields and the fields they compare to)."""
    names = []
    for _, check in resolved.checks:
        names.append(check.field)
        if check.relative_to:
            names.append(check.relative_to)
    return tuple(dict.fromkeys(names))


def definition(resolved: ResolvedRuleset, record) -> dict:
    """The durable_rules definition: two rules per check (codes 2i = not met, 2i+1 = missing;
    a check whose absent field means "not met" reports 2i for both)."""
    rules = {}
    for index, (_, check) in enumerate(resolved.checks):
        if check.relative_to:
            not_met = relative_not_met_condition(check.field, check.operator, check.threshold, check.relative_to)
            missing = either_missing_condition(check.field, check.relative_to)
        else:
            not_met = not_met_condition(check.field, check.operator, check.threshold)
            missing = missing_condition(check.field)
        rules[f"c{index}_not_met"] = {"all": [{"m": not_met}], "run": _action(record, 2 * index)}
        absent_code = 2 * index if check.absent == "not_met" else 2 * index + 1
        rules[f"c{index}_missing"] = {"all": [{"m": missing}], "run": _action(record, absent_code)}
    rules["receipt"] = {"all": [{"m": {"$ex": {"cid": 1}}}], "run": _action(record, RECEIPT)}
    return rules


def _action(record, code: int):
    append = record.append

    def action(closure):  # durable_rules requires exactly one parameter
        append(code)
    return action


def rules_key(resolved: ResolvedRuleset) -> str:
    """The name of a resolved set's rules in the engine: their content (a name is registered once
    per process and never removed, so two sets that compile to the same rules share them)."""
    content = [(c.field, c.type, c.operator, c.threshold, c.relative_to, c.absent) for _, c in resolved.checks]
    return "r" + hashlib.sha256(repr(content).encode()).hexdigest()[:32]


def _rules(resolved: ResolvedRuleset) -> "_ExactRuleset":
    """The rules of a resolved set, registered the first time they are needed (call with the lock)."""
    key = resolved.made("rules_key", rules_key)
    host = _host_instance()
    rules = _registered.get(key)
    if rules is not None:
        _registered.move_to_end(key)
    else:
        try:
            host.register_rulesets({key: definition(resolved, _findings)})
        except Exception as error:  # a bare C error code becomes a sentence
            raise EngineError(f"ruleset {resolved.ruleset.id}: {describe_engine_error(error)}") from None
        rules = _registered[key] = host.get_ruleset(key)
    while len(_registered) > MAX_REGISTERED:
        old_key, old = _registered.popitem(last=False)
        host.forget_ruleset(old_key, old)
    return rules


def evaluate(resolved: ResolvedRuleset, values: dict) -> tuple[list[int], list[int]]:
    """Assert one commune (its field values) under a resolved set's rules: the indexes (in the
    resolved set's checks) of the checks not met, and of those whose data is missing. The rules'
    codes (2i not met, 2i + 1 missing, the receipt) are this module's own and end here."""
    fact = {"sid": _SID, "cid": 0, "id": 0}  # (`id`: the fact's own, by which it is retracted)
    fact.update(values)
    cleared = ran = False
    with _lock:
        rules = _rules(resolved)
        key = rules._name
        fact["cid"] = fact["id"] = commune = next(_commune_ids)
        text = _fact_json(fact)
        _findings.clear()
        try:
            rules.assert_and_run(fact, text)
            ran = True
        except Exception as error:
            raise EngineError(describe_engine_error(error)) from None
        finally:
            # The session holds no fact when the next commune comes: this one's retracted (the
            # session kept, see LIVE_SESSIONS), or else the session deleted.
            if ran and rules.retract(_SID, commune):
                cleared = True
                _keep_session(key, rules)
            else:
                _sessions.pop(key, None)
                try:
                    rules.forget(_SID)
                    cleared = True
                except Exception:  # said below, unless another error is already on its way
                    pass
        found = _findings[:]
    if not cleared:
        raise EngineError("the rules engine could not clear a commune's session; no verdict is given rather than "
                          "one the next commune's facts could change")
    if RECEIPT not in found:
        raise EngineError("the rules engine returned without running every rule for this commune; "
                          "no verdict is given rather than a possibly incomplete one")
    not_met, missing = [], []
    for code in found:
        if code >= 0:
            (missing if code & 1 else not_met).append(code >> 1)
    return not_met, missing
