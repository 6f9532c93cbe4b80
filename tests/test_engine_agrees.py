"""The durable_rules engine against the plain-Python reference evaluator."""
import random
import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ntm_rules
import reference
from conftest import REGIONS, attaining_document, random_document

RAW = reference.load_raw("vn-2016-2020")
RULESET = ntm_rules.load_ruleset("vn-2016-2020")


def _statuses(assessment):
    return ({i.id: i.status for i in assessment.indicators()}, {c.id: c.status for c in assessment.criteria})


def _agree(document):
    assessment = ntm_rules.assess(document, ruleset=RULESET)
    expected = reference.evaluate(RAW, document["region"], document["year"], document["data"])
    indicators, criteria = _statuses(assessment)
    assert indicators == expected["indicators"]
    assert criteria == expected["criteria"]
    assert assessment.attained is expected["attained"]
    assert assessment.criteria_met == sum(s == "met" for s in expected["criteria"].values())
    return assessment


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), region=st.sampled_from(REGIONS), year=st.sampled_from([2016, 2019, 2020]),
       p_missing=st.sampled_from([0.0, 0.05, 0.3]), p_fail=st.sampled_from([0.0, 0.06, 0.5]))
def test_engine_agrees_with_reference_on_generated_communes(seed, region, year, p_missing, p_fail):
    _agree(random_document(random.Random(seed), RAW, region, year, p_missing, p_fail))


def test_no_finding_lost_over_20000_communes():
    rng = random.Random(20_000)
    documents = [random_document(rng, RAW, rng.choice(REGIONS), rng.choice([2019, 2020])) for _ in range(20_000)]
    findings = 0
    for document, assessment in zip(documents, ntm_rules.assess_many(documents, ruleset=RULESET)):
        expected = reference.evaluate(RAW, document["region"], document["year"], document["data"])
        indicators, _ = _statuses(assessment)
        assert indicators == expected["indicators"], document["commune"]["name"]
        findings += sum(s != "met" for s in indicators.values())
    assert findings > 20_000  # the generator does produce failures (about 3 per commune)


def test_eight_threads_agree_with_a_serial_run():
    rng = random.Random(8)
    documents = [random_document(rng, RAW, rng.choice(REGIONS), 2020) for _ in range(4000)]
    serial = [a.model_dump() for a in ntm_rules.assess_many(documents, ruleset=RULESET)]
    results = [None] * len(documents)
    errors = []

    def work(start):
        try:
            for i in range(start, start + 500):
                results[i] = ntm_rules.assess(documents[i], ruleset=RULESET).model_dump()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(k * 500,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results == serial


def _rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_memory_stays_flat_over_20000_sequential_assessments():
    rng = random.Random(3)
    pool = [random_document(rng, RAW, rng.choice(REGIONS), 2020) for _ in range(500)]
    for document in pool * 4:  # warm up: compiled rulesets, caches
        ntm_rules.assess(document, ruleset=RULESET)
    before = _rss_kib()
    for i in range(20_000):
        ntm_rules.assess(pool[i % 500], ruleset=RULESET)
    grown = _rss_kib() - before
    assert grown < 30_000, f"resident memory grew by {grown} KiB over 20 000 assessments"


def test_an_attaining_commune_attains_in_every_region():
    for region in REGIONS:
        assert _agree(attaining_document("vn-2016-2020", region, 2020)).attained


def test_the_engine_keeps_a_bounded_number_of_rulesets_and_still_agrees(monkeypatch):
    """Beyond its bound the engine deletes the least recently used rules (durable_rules'
    delete_ruleset); a set met again is registered again, and every verdict still agrees."""
    from ntm_rules import engine

    monkeypatch.setattr(engine, "MAX_REGISTERED", 2)
    rng = random.Random(5)
    for _ in range(3):
        for region in REGIONS[:4]:  # four resolved sets, two at a time
            for year in (2019, 2020):
                _agree(random_document(rng, RAW, region, year, 0.05, 0.2))
                assert len(engine._registered) <= 2


def _session_facts(resolved):
    """The facts the engine's session for a resolved set holds; None when it has no session."""
    import durable_rules_engine

    from ntm_rules import engine

    with engine._lock:
        try:
            return durable_rules_engine.get_facts(engine._rules(resolved)._handle, engine._SID)
        except Exception:
            return None


def _resolved(region, year=2020):
    from ntm_rules.law.resolve import resolve

    return resolve(RULESET, region, year)


def test_a_commune_s_fact_is_gone_before_the_next_one_and_its_session_is_kept():
    """After each commune its fact is retracted and the session kept (cheaper than a new one),
    holding no fact: nothing of one commune meets the next."""
    rng = random.Random(12)
    for region in REGIONS:
        _agree(random_document(rng, RAW, region, 2020, 0.05, 0.2))
        assert _session_facts(_resolved(region)) == "[]"


def test_a_fact_that_will_not_go_deletes_the_session(monkeypatch):
    """When retracting leaves the commune's fact in the session, the session is deleted: the next
    commune starts in a new one, and every verdict still agrees."""
    import durable_rules_engine

    monkeypatch.setattr(durable_rules_engine, "retract_fact", lambda handle, text: None)
    rng = random.Random(13)
    for _ in range(3):
        for region in REGIONS[:3]:
            _agree(random_document(rng, RAW, region, 2019, 0.05, 0.2))
            assert _session_facts(_resolved(region, 2019)) is None


def test_the_kept_sessions_are_bounded_and_the_others_deleted(monkeypatch):
    from ntm_rules import engine

    monkeypatch.setattr(engine, "LIVE_SESSIONS", 2)
    rng = random.Random(14)
    for region in REGIONS[:5]:
        _agree(random_document(rng, RAW, region, 2016, 0.05, 0.2))
    kept = [region for region in REGIONS[:5] if _session_facts(_resolved(region, 2016)) is not None]
    assert kept == list(REGIONS[3:5]) and len(engine._sessions) <= 2


def test_a_kept_session_that_cannot_be_deleted_stays_empty_and_verdicts_agree(monkeypatch):
    """Closing a kept session (beyond the bound, or with its rules) that durable_rules will not
    delete changes nothing: it held no fact, and every verdict still agrees."""
    import durable_rules_engine

    from ntm_rules import engine

    monkeypatch.setattr(engine, "LIVE_SESSIONS", 1)
    monkeypatch.setattr(engine, "MAX_REGISTERED", 2)

    def refuse(handle, sid):
        raise durable_rules_engine.error("Could not delete state, error code: 309")

    monkeypatch.setattr(durable_rules_engine, "delete_state", refuse)
    rng = random.Random(15)
    for _ in range(2):
        for region in REGIONS[:4]:
            _agree(random_document(rng, RAW, region, 2019, 0.05, 0.2))
            assert len(engine._sessions) <= 1
