"""The HTTP service as other systems use it: the real server (`ntm-assess serve` in a subprocess) on
a free loopback port, called with httpx over a real socket; its answers compared with the CLI's."""
from __future__ import annotations

import contextvars
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, ROOT

ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
VALID = sorted(p for p in FIXTURES.glob("*.json")) + sorted((FIXTURES / "model").glob("*.json"))
INVALID = sorted((FIXTURES / "invalid").iterdir())
CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
REGISTERED = FIXTURES / "batches" / "thai-nguyen-2019-registered.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m ntm_rules serve ...` on a free port; stopped (or killed) by the test."""

    def __init__(self, tmp: Path, *extra: str, db: Path | None = None, env: dict | None = None):
        self.port = free_port()
        self.db = db or tmp / "history.sqlite3"
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / f"server-{self.port}.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "ntm_rules", "serve", "--port", str(self.port),
                                         "--db", str(self.db), *extra], cwd=tmp, env={**ENV, **(env or {})},
                                        stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: "
                                   + Path(self.log.name).read_text(errors="replace"))
            try:
                if httpx.get(self.url + "/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not answer within 60 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("serve"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ntm_rules", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=ENV, timeout=300)


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    for path in ("/v1/assess", "/v1/batch", "/v1/rulesets", "/v1/rulesets/{ruleset_id}", "/v1/schema/input"):
        assert path in spec["paths"], path
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_every_fixture_gives_the_cli_json(client, path):
    done = cli(path, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    response = client.post("/v1/assess", content=path.read_bytes(), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == json.loads(done.stdout)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_every_invalid_fixture_names_the_field(client, path):
    done = cli(path, "--format", "json")
    assert done.returncode == 2
    response = client.post("/v1/assess", content=path.read_bytes())
    body = response.json()
    assert set(body) == {"error", "field", "fix"}
    assert "Traceback" not in response.text
    if path.name == "unknown-ruleset.json":
        assert response.status_code == 404 and body["field"] == "ruleset" and "vn-1999" in body["error"]
        return
    assert response.status_code == 422, body
    assert body["field"], body
    # the field the CLI names on its one line (an error of the whole document names the body)
    if body["field"] != "body":
        assert body["field"] in done.stderr
    assert body["error"].split(" (")[0].split(":")[0] in done.stderr  # the same words as the CLI's Vietnamese line


def test_errors_speak_the_callers_language(client):
    bad = (FIXTURES / "invalid" / "pct-out-of-range.json").read_bytes()
    default = client.post("/v1/assess", content=bad).json()
    english = client.post("/v1/assess", content=bad, headers={"Accept-Language": "en-GB,en;q=0.9"}).json()
    prefers_vi = client.post("/v1/assess", content=bad, headers={"Accept-Language": "en;q=0.5, vi"}).json()
    assert default["field"] == english["field"] == "data.employment_rate_pct"
    assert "hợp lý" in default["error"] and "plausible" in english["error"]
    assert prefers_vi == default
    assert english["fix"] and english["fix"] != default["fix"]


@pytest.mark.parametrize("body", [b"NaN", b'{"commune": {"name": "X"}, "year": NaN}', b'{"a": 1, "a": 2}',
                                  b"\xff\xfe", b"", b"[1, 2]", b'{"year": 1' + b"0" * 30 + b"}"])
def test_bodies_that_are_not_strict_json_are_422(client, body):
    response = client.post("/v1/assess", content=body)
    assert response.status_code == 422
    data = response.json()
    assert data["field"] and data["error"] and data["fix"]


def test_ruleset_parameter(client):
    path = FIXTURES / "hoa-thuong-fails-three-2019.json"
    done = cli(path, "--format", "json", "--ruleset", "vn-2016-2020")
    chosen = client.post("/v1/assess", params={"ruleset": "vn-2016-2020"}, content=path.read_bytes())
    assert chosen.status_code == 200 and chosen.json() == json.loads(done.stdout)
    assert chosen.json()["ruleset"]["id"] == "vn-2016-2020"
    unknown = client.post("/v1/assess", params={"ruleset": "vn-1999"}, content=path.read_bytes())
    assert unknown.status_code == 404 and unknown.json()["field"] == "ruleset"
    for name in ("../rulesets/vn-2016-2020", "/etc/passwd", str(ROOT / "rulesets" / "vn-2016-2020.yaml")):
        refused = client.post("/v1/assess", params={"ruleset": name}, content=path.read_bytes())
        assert refused.status_code == 422 and refused.json()["field"] == "ruleset", name


def test_a_body_over_one_megabyte_is_413(client):
    big = b'{"commune": {"name": "' + b"x" * (1 << 20) + b'"}}'
    assert client.post("/v1/assess", content=big).status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * (100 << 10)

    assert client.post("/v1/assess", content=chunks()).status_code == 413


def test_rulesets_and_schema(client):
    listed = client.get("/v1/rulesets").json()
    cli_listed = json.loads(cli("rulesets", "list", "--format", "json").stdout)
    assert [r["id"] for r in listed] == [r["id"] for r in cli_listed]
    assert all("path" not in r for r in listed)  # no server paths
    one = client.get("/v1/rulesets/thai-nguyen-2017-2020").json()
    assert one["id"] == "thai-nguyen-2017-2020" and len(one["criteria"]) == 19 and one["sha256"]
    assert str(ROOT) not in json.dumps(one)
    assert client.get("/v1/rulesets/vn-1999").status_code == 404
    assert client.get("/v1/rulesets/..%2Fsecret").status_code in (404, 422)
    schema = client.get("/v1/schema/input", params={"ruleset": "vn-model-2018-2020"}).json()
    assert schema == json.loads(cli("schema", "input", "--ruleset", "vn-model-2018-2020").stdout)
    assert client.get("/v1/schema/input").json() == json.loads(cli("schema", "input").stdout)
    assert client.get("/v1/schema/input", params={"ruleset": "nope"}).status_code == 404


def test_batch_upload_gives_the_cli_summary_and_its_outputs(client, server, tmp_path):
    done = cli("batch", CSV, "--registered", REGISTERED, "--out", tmp_path / "out", "--format", "json")
    assert done.returncode == 1, done.stderr  # the fixture has rejected rows
    expected = json.loads(done.stdout)
    with CSV.open("rb") as data, REGISTERED.open("rb") as registered:
        response = client.post("/v1/batch", files={"file": ("thai-nguyen-2019.csv", data, "text/csv"),
                                                   "registered": ("registered.txt", registered, "text/plain")})
    assert response.status_code == 200, response.text
    body = response.json()
    summary = body["summary"]
    for key in ("rows_read", "assessed", "rejected", "attained", "not_attained", "missing_data", "average_criteria_met",
                "brackets", "failures_by_criterion", "failures_by_department", "registered", "districts"):
        assert summary[key] == expected[key], key
    assert str(server.db.parent) not in response.text  # no server path in the answer
    links = body["links"]
    rejected = client.get(links["rejected.jsonl"])
    assert rejected.status_code == 200
    assert len(rejected.text.splitlines()) == expected["rejected"]
    assert client.get(links["rejected.xlsx"]).content[:2] == b"PK"
    assessments = client.get(links["assessments.jsonl"]).text.splitlines()
    assert len(assessments) == expected["assessed"]
    assert client.get(f"/v1/batches/{body['batch']}").json()["summary"] == summary
    # stored in the history, in one batch
    conn = sqlite3.connect(server.db)
    stored = conn.execute("SELECT assessed FROM batches WHERE key = ?", (body["batch"],)).fetchone()
    assert stored == (expected["assessed"],)
    assert conn.execute("SELECT COUNT(*) FROM assessments a JOIN batches b ON b.id = a.batch_id WHERE b.key = ?",
                        (body["batch"],)).fetchone() == (expected["assessed"],)


@pytest.mark.parametrize("url", ["/v1/batches/0123456789abcdef01234567", "/v1/batches/..%2F..%2Fetc",
                                 "/v1/batches/0123456789abcdef01234567/summary.json",
                                 "/batches/0123456789abcdef01234567/files/..%2Fhistory.sqlite3"])
def test_unknown_batches_are_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Traceback" not in response.text


def test_an_output_name_outside_the_list_is_404(client):
    data = CSV.read_bytes() + b"\n"  # another file than the one stored before (the same file is refused)
    key = client.post("/v1/batch", files={"file": ("x.csv", data)}).json()["batch"]
    for name in ("request.json", "result.json", "upload.csv", "..", "summary.json.partial"):
        assert client.get(f"/v1/batches/{key}/{name}").status_code == 404, name


def test_bad_uploads_are_422_naming_the_field(client, tmp_path):
    response = client.post("/v1/batch", files={"file": ("communes.txt", b"hello")})
    assert response.status_code == 422 and response.json()["field"] == "file"
    no_header = client.post("/v1/batch", files={"file": ("communes.csv", "a,b\n1,2\n".encode())},
                            headers={"Accept-Language": "en"})
    assert no_header.status_code == 422 and "header" in no_header.json()["error"]
    assert "upload.csv" in no_header.json()["error"] and str(tmp_path) not in no_header.text
    registered = client.post("/v1/batch", files={"file": ("x.csv", CSV.read_bytes()),
                                                 "registered": ("r.exe", b"Xa A")})
    assert registered.status_code == 422 and registered.json()["field"] == "registered"
    unknown = client.post("/v1/batch", files={"file": ("x.csv", CSV.read_bytes())}, data={"ruleset": "vn-1999"})
    assert unknown.status_code == 404
    missing = client.post("/v1/batch", data={"ruleset": "vn-2016-2020"})
    assert missing.status_code == 422 and missing.json()["field"] == "file"


def test_serving_other_hosts_needs_a_token(tmp_path):
    done = cli("serve", "--host", "0.0.0.0", "--port", free_port(), "--db", tmp_path / "db.sqlite3")
    assert done.returncode == 2
    assert "--host" in done.stderr and "Traceback" not in done.stderr
    short = tmp_path / "token"
    short.write_text("short\n")
    short.chmod(0o600)
    done = cli("serve", "--host", "0.0.0.0", "--port", free_port(), "--token-file", short, "--db", tmp_path / "db.sqlite3")
    assert done.returncode == 2 and "--token-file" in done.stderr


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guarded")
    token = "t0k3n-" + os.urandom(12).hex()
    (tmp / "token").write_text(token + "\n")
    (tmp / "token").chmod(0o600)
    s = Server(tmp, "--token-file", str(tmp / "token"), "--max-upload-mb", "1")
    s.token = token
    yield s
    s.stop()


def test_a_token_guards_the_api_and_the_pages(guarded):
    document = (FIXTURES / "tan-cuong-attains-2020.json").read_bytes()
    with httpx.Client(base_url=guarded.url, timeout=60) as c:
        assert c.post("/v1/assess", content=document).status_code == 401
        wrong = c.post("/v1/assess", content=document, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
        right = c.post("/v1/assess", content=document, headers={"Authorization": f"Bearer {guarded.token}"})
        assert right.status_code == 200 and right.json()["attained"] is True
        assert c.get("/openapi.json").status_code == 200
        page = c.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        form = c.get("/login")  # sets the browser's CSRF cookie, which the form carries
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        assert c.post("/login", data={"token": "nope", "next": "/", "csrf": csrf}).status_code == 401
        assert c.post("/login", data={"token": guarded.token, "next": "/"}).status_code == 401  # no CSRF token
        logged = c.post("/login", data={"token": guarded.token, "next": "//evil.example/", "csrf": csrf})
        assert logged.status_code == 303 and logged.headers["location"] == "/"
        assert c.get("/", headers={"Accept": "text/html"}).status_code == 200  # the cookie now


def test_uploads_over_the_limit_are_413(guarded):
    big = b"commune.name,year\n" + b"Xa A,2019\n" * 150_000  # 1.5 MB over a 1 MB limit
    with httpx.Client(base_url=guarded.url, timeout=60,
                      headers={"Authorization": f"Bearer {guarded.token}"}) as c:
        assert c.post("/v1/batch", files={"file": ("big.csv", big)}).status_code == 413
        # nothing of it stored
    conn = sqlite3.connect(guarded.db)
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)
    leftovers = list((guarded.db.parent / "history-batches").iterdir())
    assert leftovers == []


def test_an_internal_error_is_a_generic_500(tmp_path, monkeypatch):
    """A bug of ours (here: assess raising something unexpected) never reaches the caller as a traceback."""
    import uvicorn

    from ntm_rules.service import create_app

    def broken(*args, **kwargs):
        raise ZeroDivisionError("secret detail /srv/path")

    monkeypatch.setattr(sys.modules["ntm_rules.assess"], "assess", broken)
    port = free_port()
    config = uvicorn.Config(create_app(db=tmp_path / "db.sqlite3"), host="127.0.0.1", port=port, log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        response = httpx.post(f"http://127.0.0.1:{port}/v1/assess",
                              content=(FIXTURES / "tan-cuong-attains-2020.json").read_bytes(), timeout=30)
        assert response.status_code == 500
        assert set(response.json()) == {"error", "field", "fix"}
        assert "secret" not in response.text and "Traceback" not in response.text
    finally:
        server.should_exit = True
        thread.join(10)


def big_batch(path: Path, rows: int) -> None:
    """The fixture's assessable rows repeated with unique codes and names: a batch of `rows` communes."""
    lines = CSV.read_text("utf-8").splitlines()
    header, body = lines[0], [line for line in lines[1:] if "khoảng" not in line and line.strip()]
    columns = header.split(",")
    name_at, code_at = columns.index("commune.name"), columns.index("commune.code")
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    parsed = [next(csv.reader([line])) for line in body]
    parsed = [row for row in parsed if row[name_at] and row[name_at].startswith("Xã")]
    for n in range(rows):
        row = list(parsed[n % len(parsed)])
        row[name_at] = f"Xã Thử {n}"
        row[code_at] = f"9{n:05d}"
        writer.writerow(row)
    path.write_text(out.getvalue(), "utf-8")


def test_killing_the_server_while_it_stores_a_batch_leaves_nothing(tmp_path):
    """SIGKILL while the batch is being written into the database (the write-ahead log grows, no
    batch committed yet): on the next start the database holds no part of it, and works."""
    upload = tmp_path / "big.csv"
    big_batch(upload, 1500)
    server = Server(tmp_path)
    wal = Path(str(server.db) + "-wal")
    outcome = {}

    def post():
        try:
            with upload.open("rb") as data:
                outcome["response"] = httpx.post(server.url + "/v1/batch", files={"file": ("big.csv", data)}, timeout=300)
        except httpx.TransportError as error:
            outcome["error"] = error

    baseline = wal.stat().st_size if wal.exists() else 0
    thread = threading.Thread(target=post)
    thread.start()
    killed_mid_store = False
    deadline = time.monotonic() + 240
    reader = sqlite3.connect(server.db, timeout=30)
    while time.monotonic() < deadline and thread.is_alive():
        size = wal.stat().st_size if wal.exists() else 0
        if size > baseline + (2 << 20):
            committed = reader.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
            if committed == 0:
                server.process.kill()  # SIGKILL: no handler, no cleanup
                killed_mid_store = True
                break
        time.sleep(0.005)
    reader.close()
    server.process.wait(30)
    thread.join(60)
    server.log.close()
    assert killed_mid_store, "the store was not caught in progress (the batch finished first)"
    assert "error" in outcome  # the client saw the connection drop, not an answer
    conn = sqlite3.connect(server.db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM assessments").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM indicator_results").fetchone() == (0,)
    conn.close()
    # the database still works: the next server stores a batch
    again = Server(tmp_path, db=server.db)
    try:
        with CSV.open("rb") as data:
            assert httpx.post(again.url + "/v1/batch", files={"file": ("x.csv", data)}, timeout=120).status_code == 200
    finally:
        again.stop()
    conn = sqlite3.connect(server.db)
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (1,)


def test_killing_the_server_during_an_upload_leaves_nothing(tmp_path):
    """SIGKILL while the body is still arriving: nothing in the database."""
    server = Server(tmp_path)
    body = CSV.read_bytes()
    boundary = "x1y2z3"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    total = len(head) + len(body) * 100 + len(f"\r\n--{boundary}--\r\n")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
                     f"Content-Length: {total}\r\n\r\n".encode() + head + body * 50)
        time.sleep(0.5)
        server.process.kill()
        server.process.wait(30)
    server.log.close()
    conn = sqlite3.connect(server.db)
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)
    assert conn.execute("SELECT COUNT(*) FROM assessments").fetchone() == (0,)


def test_an_uploaded_batch_refused_is_worded_for_the_service_not_the_library(monkeypatch):
    """A batch's error carries markers (⟪ruleset⟫); the job words them as the service's callers act
    ("the ruleset parameter"), never as the library's argument nor as a raw marker."""
    import ntm_rules.batch as batch
    from ntm_rules.errors import InputError, Say
    from ntm_rules.service import job

    def refused(*args, **kwargs):
        raise InputError(Say("hai bộ tiêu chí; chọn bằng ⟪ruleset⟫", "two rulesets; choose with ⟪ruleset⟫"),
                         source="upload.xlsx", field="ruleset",
                         fix=Say("chọn bằng ⟪ruleset⟫", "choose one with ⟪ruleset⟫"))

    monkeypatch.setattr(batch, "run_batch", refused)
    # the job runs in a process of its own, where it sets the front's words: here, in a context of its own
    answer = contextvars.copy_context().run(job.run, {"inputs": ["upload.xlsx"], "lang": "en"})
    assert answer["ok"] is False and answer["field"] == "ruleset"
    for text in (answer["error"]["vi"], answer["error"]["en"], answer["fix"]["vi"], answer["fix"]["en"]):
        assert "⟪" not in text and "⟫" not in text, text
    assert "?ruleset=" in answer["fix"]["en"] and "?ruleset=" in answer["error"]["vi"]
