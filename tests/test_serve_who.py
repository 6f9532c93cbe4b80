"""Only the office: Host names, other sites' forms, named keys with roles and provinces, the key
that stored each batch, and key files only their owner can read; against the real server."""
from __future__ import annotations

import itertools
import os
import re
import sqlite3
import subprocess
import sys

import httpx
import pytest

from conftest import FIXTURES
from ntm_rules.service.keys import add_key
from test_service import ENV, Server, free_port

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
DOCUMENT = (FIXTURES / "tan-cuong-attains-2020.json").read_bytes()


_COPIES = itertools.count(1)


def upload(client: httpx.Client, **headers) -> httpx.Response:
    """The fixture as another file each time (a blank line more: the same rows, other bytes): the
    same file stored twice for the same year and set is refused (tests/test_history_places.py)."""
    return client.post("/v1/batch", files={"file": ("tn.csv", CSV.read_bytes() + b"\n" * next(_COPIES))},
                       headers=headers)


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("open"), "--allowed-host", "ntm.office.example")
    yield server
    server.stop()


def test_a_foreign_host_is_refused(open_server):
    """DNS rebinding: a page of another site reaching the office's service under its own name."""
    url = open_server.url
    for host in ("evil.example", "evil.example:80", "127.0.0.1.evil.example"):
        refused = httpx.get(url + "/v1/rulesets", headers={"Host": host, "Accept-Language": "en"}, timeout=10)
        assert refused.status_code == 400, host
        assert refused.json()["field"] == "Host" and "name" in refused.json()["error"]
        assert httpx.get(url + "/", headers={"Host": host}, timeout=10).status_code == 400
    for host in ("localhost", f"127.0.0.1:{open_server.port}", "ntm.office.example"):
        assert httpx.get(url + "/v1/rulesets", headers={"Host": host}, timeout=10).status_code == 200, host


def test_a_cross_site_form_post_stores_nothing(open_server):
    with httpx.Client(base_url=open_server.url, timeout=60) as client:
        for headers in ({"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
                        {"Origin": "https://evil.example"}, {"Origin": "null"}):
            for path in ("/batches", "/v1/batch"):
                refused = client.post(path, files={"file": ("tn.csv", CSV.read_bytes())}, headers=headers)
                assert refused.status_code == 403, (path, headers)
                assert refused.json()["field"] == "Origin"
        # the office's own form, without the browser's CSRF token (a form another page made)
        stale = client.post("/batches", files={"file": ("tn.csv", CSV.read_bytes())},
                            headers={"Origin": open_server.url, "Sec-Fetch-Site": "same-origin"})
        assert stale.status_code == 403 and "Biểu mẫu đã cũ" in stale.text
    conn = sqlite3.connect(open_server.db)
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)
    # the office's page: its form carries the token, and the batch is stored
    with httpx.Client(base_url=open_server.url, timeout=60) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)
        stored = client.post("/batches", files={"file": ("tn.csv", CSV.read_bytes())}, data={"csrf": csrf},
                             headers={"Origin": open_server.url, "Sec-Fetch-Site": "same-origin"})
        assert stored.status_code == 303
    assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (1,)


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("keyed")
    path = str(tmp / "keys.json")
    keys = {name: add_key(path, name, role, province) for name, role, province in (
        ("reader", "read", None), ("uploader", "upload", None), ("office", "admin", None),
        ("thai-nguyen", "upload", "Thái Nguyên"), ("ha-noi", "upload", "Hà Nội"))}
    server = Server(tmp, "--keys", path)
    server.keys = keys
    yield server
    server.stop()


def client(server, name: str | None) -> httpx.Client:
    headers = {"Accept-Language": "en"}
    if name:
        headers["Authorization"] = f"Bearer {server.keys[name]}"
    return httpx.Client(base_url=server.url, timeout=60, headers=headers)


def test_each_role_does_what_it_may(keyed):
    with client(keyed, None) as anyone:
        assert anyone.get("/v1/rulesets").status_code == 401
        assert anyone.get("/docs").status_code == 401  # the documentation too
        assert anyone.get("/openapi.json").status_code == 200
        for wrong in ("nope", "ntm_" + "x" * 43, "khóa-có-dấu-" + "ă" * 20):
            refused = anyone.get("/v1/rulesets", headers={"Authorization": f"Bearer {wrong}".encode()})
            assert refused.status_code == 401 and set(refused.json()) == {"error", "field", "fix"}
    with client(keyed, "reader") as reader:
        assert reader.get("/v1/rulesets").status_code == 200
        assert reader.get("/docs").status_code == 200
        assert reader.post("/v1/assess", content=DOCUMENT).status_code == 200
        refused = upload(reader)
        assert refused.status_code == 403 and "upload" in refused.json()["error"]
        assert reader.get("/v1/keys").status_code == 403
    with client(keyed, "uploader") as uploader:
        stored = upload(uploader)
        assert stored.status_code == 200 and stored.json()["stored_by"] == "uploader"
        batch = stored.json()["batch"]
        assert uploader.get(f"/v1/batches/{batch}").json()["stored_by"] == "uploader"
        assert uploader.get("/v1/keys").status_code == 403
    with client(keyed, "office") as office:
        listed = office.get("/v1/keys").json()
        assert {k["name"]: k["role"] for k in listed}["thai-nguyen"] == "upload"
        assert all(set(k) == {"name", "role", "province"} for k in listed)
        rounds = office.get("/v1/history/province", params={"name": "Thái Nguyên"}).json()["rounds"]
        assert [r["stored_by"] for r in rounds if r["batch"] == batch] == ["uploader"]
        # the office's pages show who stored each batch
        assert ">uploader<" in office.get("/").text and "uploader" in office.get(f"/batches/{batch}").text
    conn = sqlite3.connect(keyed.db)
    assert conn.execute("SELECT stored_by FROM batches WHERE key = ?", (batch,)).fetchone() == ("uploader",)


def test_a_province_key_sees_and_stores_only_its_province(keyed):
    with client(keyed, "thai-nguyen") as own:
        stored = upload(own)
        assert stored.status_code == 200 and stored.json()["stored_by"] == "thai-nguyen"
        batch = stored.json()["batch"]
        assert own.get(f"/v1/batches/{batch}").status_code == 200
        assert own.get("/v1/history/province", params={"name": "Thái Nguyên"}).status_code == 200
        assert own.get("/v1/history/commune", params={"q": "Xã Hóa Thượng"}).json()["communes"]
    with client(keyed, "ha-noi") as other:
        for url in (f"/v1/batches/{batch}", f"/v1/batches/{batch}/summary.json", f"/batches/{batch}"):
            assert other.get(url).status_code == 404, url
        assert other.get("/v1/history/province", params={"name": "Thái Nguyên"}).status_code == 404
        assert other.get("/v1/history/commune", params={"q": "Xã Hóa Thượng"}).json()["communes"] == []
        assert other.get("/v1/history/commune", params={"q": "Xã Hóa Thượng", "province": "Thái Nguyên"}
                         ).json()["communes"] == []
        assert "Thái Nguyên" not in other.get("/progress").text and batch not in other.get("/").text
        before = sqlite3.connect(keyed.db).execute("SELECT COUNT(*) FROM batches").fetchone()
        refused = upload(other)  # communes of Thái Nguyên, with Hà Nội's key
        assert refused.status_code == 403 and "Hà Nội" in refused.json()["error"]
        assert sqlite3.connect(keyed.db).execute("SELECT COUNT(*) FROM batches").fetchone() == before


def _serve(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ntm_rules", "serve", "--port", str(free_port()), *map(str, args)],
                          capture_output=True, text=True, env=ENV, timeout=60)


def test_key_and_token_files_must_be_private_regular_ascii_files(tmp_path):
    token = tmp_path / "token"
    token.write_text("t0k3n-" + "a" * 30 + "\n")
    keys = tmp_path / "keys.json"
    done = subprocess.run([sys.executable, "-m", "ntm_rules", "keys", "add", "office", "--role", "admin", "--keys", keys],
                          capture_output=True, text=True, env=ENV, timeout=60)
    assert done.returncode == 0 and re.fullmatch(r"ntm_[A-Za-z0-9_-]{43}\n", done.stdout)
    assert done.stdout.strip() not in keys.read_text() and oct(keys.stat().st_mode & 0o777) == "0o600"
    listed = subprocess.run([sys.executable, "-m", "ntm_rules", "keys", "list", "--keys", keys], capture_output=True,
                            text=True, env=ENV, timeout=60)
    assert listed.stdout.startswith("office\tadmin") and done.stdout.strip() not in listed.stdout
    db = tmp_path / "db.sqlite3"
    link = tmp_path / "link"
    link.symlink_to("/etc/passwd")
    hard = tmp_path / "hard"
    os.link(keys, hard)
    accented = tmp_path / "accented"
    accented.write_text("mã-truy-cập-" + "ă" * 20 + "\n")
    accented.chmod(0o600)
    token.chmod(0o644)  # world-readable
    for option, path, said in (("--token-file", token, "others can read"), ("--token-file", link, "is a link"),
                               ("--keys", link, "is a link"), ("--token-file", accented, "not ASCII"),
                               ("--keys", hard, "or it has hard links")):
        done = _serve(option, path, "--db", db)
        assert done.returncode == 2, (option, path, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and option in done.stderr and "Traceback" not in done.stderr
        english = subprocess.run([sys.executable, "-m", "ntm_rules", "serve", option, str(path), "--db", str(db)],
                                 capture_output=True, text=True, env={**ENV, "NTM_LANG": "en"}, timeout=60)
        assert said in english.stderr, english.stderr
    keys.chmod(0o640)  # readable by the group
    assert _serve("--keys", keys, "--db", db).returncode == 2


@pytest.mark.parametrize("address, allowed", [("127.0.0.1", True), ("::1", True), ("127.0.0.2", True),
                                              ("10.0.0.5", False), ("192.168.1.20", False), ("172.16.3.4", False),
                                              ("fc00::1", False), ("169.254.1.1", False), ("203.0.113.9", False)])
def test_without_keys_only_loopback_clients_are_answered(tmp_path, address, allowed):
    """The app's own guard (whatever the server binds to): without keys, a client of a private
    network is no more the office than one of the Internet; loopback alone is answered."""
    import asyncio

    from ntm_rules.service.app import create_app

    app = create_app(tmp_path / "h.sqlite3", keys=None)

    async def ask():
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/v1/rulesets")

    answer = asyncio.run(ask())
    assert (answer.status_code == 200) == allowed, (address, answer.status_code, answer.text[:200])
    if not allowed:
        assert answer.status_code == 403 and answer.json()["field"] is not None
