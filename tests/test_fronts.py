"""A message says what to do in the words of the front that shows it: the command line with its
options and commands, the HTTP API with its parameters and routes, the library with its
arguments. No caller of the API is told to add a command-line flag."""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import ntm_rules
from test_service import Server

ROOT = Path(__file__).resolve().parent.parent
FLAGS = ("--ruleset", "--out", "--overwrite", "--extends", "--db", "--token-file", "--host", "ntm-assess schema",
         "ntm-assess rulesets list")
UNKNOWN_FIELD = {"commune": {"name": "Xã A"}, "year": 2019, "region": "red_river_delta",
                 "data": {"income_per_capita_milion_vnd": 40}}
NO_SET_IN_FORCE = {"commune": {"name": "Xã A"}, "year": 2024, "data": {}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("fronts"))
    yield running
    running.stop()


def cli_line(document: dict, lang: str) -> str:
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "-", "--lang", lang], input=json.dumps(document),
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ})
    assert done.returncode == 2
    return done.stderr


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_command_line_names_its_options(lang):
    assert "ntm-assess schema input --ruleset" in cli_line(UNKNOWN_FIELD, lang)
    said = cli_line(NO_SET_IN_FORCE, lang)
    assert "ntm-assess rulesets template --period 2021-2025" in said and "--ruleset" in said


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_http_api_names_its_parameters_never_a_flag(server, lang):
    for document, expected in ((UNKNOWN_FIELD, "GET /v1/schema/input?ruleset="), (NO_SET_IN_FORCE, "?ruleset=")):
        answer = httpx.post(server.url + "/v1/assess", json=document, headers={"Accept-Language": lang}, timeout=30)
        assert answer.status_code == 422
        said = json.dumps(answer.json(), ensure_ascii=False)
        assert expected in said, said
        assert not any(flag in said for flag in FLAGS), said


def test_the_library_names_its_arguments():
    for document in (UNKNOWN_FIELD, NO_SET_IN_FORCE):
        with pytest.raises(ntm_rules.InputError) as caught:
            ntm_rules.assess(document)
        for lang in ("vi", "en"):
            said = caught.value.line(lang)
            assert not any(flag in said for flag in FLAGS), said
            assert "⟪" not in said


def test_no_library_message_carries_a_command_line_flag():
    """Outside the command line (ntm_rules/cli/), no text the package shows (docstrings and comments aside) names an option of
    the command line: it says a marker (⟪ruleset⟫) that each front words."""
    found = []
    for path in sorted((ROOT / "ntm_rules").rglob("*.py")):
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                if any(flag in node.value for flag in ("--ruleset", "--out ", "--overwrite", "--extends", "--db",
                                                       "--token-file", "--plan", "--lang")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:60]!r}")
    assert found == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_next_steps_say_how_to_write_the_plan_in_each_fronts_words(tmp_path, lang):
    """The report's first next step names the plan: the command with --plan for the command line,
    write_plan for the library; with a source whose name carries a marker's signs, a placeholder."""
    from conftest import FIXTURES
    from ntm_rules.errors import FRONT
    from ntm_rules.reports.text import text_report

    document = json.loads((FIXTURES / "hoa-thuong-fails-three-2019.json").read_text("utf-8"))
    library = text_report(ntm_rules.assess(document), lang=lang, source="xa.json")
    assert "write_plan(assessment, " in library and "--plan" not in library
    from ntm_rules.cli import WORDS

    token = FRONT.set(WORDS)
    try:
        said = text_report(ntm_rules.assess(document), lang=lang, source="xa.json")
        odd = text_report(ntm_rules.assess(document), lang=lang, source="a|b⟫.json")
    finally:
        FRONT.reset(token)
    assert f"ntm-assess xa.json --ruleset {ntm_rules.assess(document).ruleset.id} --plan " in said
    assert ("--lang en" in said) == (lang == "en")
    assert "ntm-assess FILE.json --ruleset" in odd and "⟪" not in odd
    (tmp_path / "xa.json").write_text(json.dumps(document), "utf-8")
    done = subprocess.run([sys.executable, "-m", "ntm_rules", str(tmp_path / "xa.json"), "--lang", lang],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env={**os.environ})
    assert done.returncode == 1 and " --plan " in done.stdout and "write_plan" not in done.stdout
