"""One uploaded batch, run in its own process (`python -m ntm_rules.service.run job REQUEST.json`).

The service runs each batch in a child process, in the request's private folder (the current
directory), so that a batch past the request's time limit can be stopped outright, and the rows'
sources read as the names the server gave the uploads (`upload.csv, dòng 12`), never a server path.
service/run.py starts the process (`job`), ties it to the server and chooses its exit status; this
module only runs the request (`run_request`).

REQUEST.json: {"inputs": [NAME], "registered": NAME|null, "ruleset": ID|null, "lang": "vi"|"en",
"jobs": N}. It writes result.json: {"ok": true, "summary": {...}} or {"ok": false, "kind":
"input"|"ruleset"|"output", "error": {"vi", "en"}, "field", "fix": {"vi", "en"}}.
"""
from __future__ import annotations

import json
import os


def run(request: dict) -> dict:
    from ..batch import run_batch
    from ..errors import FRONT, InputError, OutputError, RulesetError
    from ..inputs.registered import read_registered
    from ..law.load import load_ruleset_id
    from .answers import WORDS

    FRONT.set(WORDS)  # what the batch writes is worded for the service's callers

    try:
        ruleset = load_ruleset_id(request["ruleset"]) if request.get("ruleset") else None
    except RulesetError as error:
        return {"ok": False, "kind": "ruleset", "error": {"vi": error.problems[0], "en": error.problems[0]},
                "field": "ruleset", "fix": {"vi": "", "en": ""}}
    try:
        wanted = read_registered(request["registered"]) if request.get("registered") else None
        result = run_batch(request["inputs"], "out", ruleset=ruleset, registered=wanted, lang=request.get("lang", "vi"),
                           jobs=request.get("jobs") or 1)
    except InputError as error:
        where = f"{error.source}: " if error.source else ""
        return {"ok": False, "kind": "input", "field": error.field,
                "error": {"vi": where + error.says("vi"), "en": where + error.says("en")},
                "fix": {"vi": error.fixes("vi"), "en": error.fixes("en")}}
    except OutputError as error:
        return {"ok": False, "kind": "output", "field": "", "error": {"vi": error.line("vi"), "en": error.line("en")},
                "fix": {"vi": "", "en": ""}}
    except RulesetError as error:
        return {"ok": False, "kind": "ruleset", "field": "ruleset",
                "error": {"vi": error.problems[0], "en": error.problems[0]}, "fix": {"vi": "", "en": ""}}
    return {"ok": True, "summary": json.loads(result.summary.model_dump_json())}


def run_request(path: str) -> None:
    """Run the request in the file `path` and write result.json in the current directory (whole or not at all)."""
    with open(path, encoding="utf-8") as handle:
        request = json.load(handle)
    outcome = run(request)
    with open("result.json.tmp", "w", encoding="utf-8") as handle:
        json.dump(outcome, handle, ensure_ascii=False)
    os.replace("result.json.tmp", "result.json")
