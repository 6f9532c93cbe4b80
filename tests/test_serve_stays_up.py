"""The service stays up: slow request heads, slow pages, large histories, abandoned uploads and
too many batches at once, each against the real server (`ntm-assess serve`) on loopback."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES
from grown import grow_history
from test_service import ENV, Server, big_batch, free_port

CSV = FIXTURES / "batches" / "thai-nguyen-2019.csv"
PROVINCE = "Thái Nguyên"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]) / 1024


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A history of 40 000 assessments (20 000 communes of one province over two years), and a
    stored batch of 20 000 communes with its outputs."""
    tmp = tmp_path_factory.mktemp("grown")
    db = tmp / "history.sqlite3"
    stored = grow_history(db, tmp / "base")
    assert stored >= 40_000
    conn = sqlite3.connect(db)
    key, assessed = conn.execute("SELECT key, assessed FROM batches WHERE stored_by = 'grown' ORDER BY id").fetchone()
    conn.close()
    out = tmp / "history-batches" / key / "out"
    out.mkdir(parents=True)
    for name in ("summary.json", "ruleset.json", "summary.html"):
        shutil.copy(tmp / "base" / name, out / name)
    lines = (tmp / "base" / "assessments.jsonl").read_bytes().splitlines(keepends=True)
    with open(out / "assessments.jsonl", "wb") as handle:
        for n in range(assessed):
            handle.write(lines[n % len(lines)])
    return db, key, assessed


def test_slow_request_heads_do_not_keep_others_out(tmp_path):
    """250 connections sending their request head a byte every 2 s (as the attack did, from the
    same address) while 20 ordinary requests are answered; past the head's time limit the server
    closes them."""
    server = Server(tmp_path, "--head-timeout", "5")
    slow = []
    try:
        for _ in range(250):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(b"G")
            slow.append(sock)
        stop = threading.Event()

        def trickle():
            while not stop.wait(2):
                for sock in slow:
                    try:
                        sock.sendall(b"E")
                    except OSError:
                        pass

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        answered = []
        started = time.monotonic()
        for _ in range(20):
            answered.append(httpx.get(server.url + "/v1/rulesets", timeout=10).status_code)
        assert answered == [200] * 20
        assert time.monotonic() - started < 10
        time.sleep(6)  # past the head's time limit
        stop.set()
        thread.join(5)
        closed = 0
        for sock in slow:
            try:
                sock.settimeout(1)
                closed += sock.recv(100) == b""
            except OSError:
                closed += 1
        assert closed == 250
        assert "Traceback" not in server.output()
    finally:
        for sock in slow:
            sock.close()
        server.stop()


def test_a_page_past_its_time_limit_stops_its_work(grown, tmp_path):
    """The whole history as CSV (20 000 communes) under a 1-second limit: the download is cut
    (its last chunk never sent) and the server's work stops: it spends no more CPU afterwards."""
    db, _, _ = grown
    server = Server(tmp_path, "--timeout", "1", db=db)
    try:
        with pytest.raises(httpx.HTTPError):  # an incomplete chunked answer, never a whole-looking file
            httpx.get(server.url + "/progress.csv", params={"province": PROVINCE}, timeout=30).raise_for_status()
        time.sleep(0.5)
        before = cpu_seconds(server.process.pid)
        time.sleep(2)
        assert cpu_seconds(server.process.pid) - before < 0.3  # had it gone on, about 2 s of CPU
        assert "stopped past its time limit" in server.output()
        assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
    finally:
        server.stop()


def test_the_deadline_stops_a_query_inside_a_request(tmp_path):
    """What a page's handler runs in its thread stops at the request's deadline: here a query that
    would run for many seconds, on the connection every route reads the history with."""
    from ntm_rules.service.deadline import CURRENT, Deadline, interrupted, reading

    CURRENT.set(Deadline(0.3))
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError) as stopped, reading(tmp_path / "empty.sqlite3") as conn:
        conn.execute("WITH RECURSIVE n(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM n WHERE k < 50000000)"
                     " SELECT COUNT(*) FROM n").fetchone()
    assert interrupted(stopped.value) and time.monotonic() - started < 2


def test_four_history_requests_at_once_stay_small_and_fast(grown, tmp_path):
    db, key, assessed = grown
    server = Server(tmp_path, db=db)
    try:
        timings, answers = [], []

        def ask():
            started = time.monotonic()
            answer = httpx.get(server.url + "/v1/history/province", params={"name": PROVINCE}, timeout=30)
            timings.append(time.monotonic() - started)
            answers.append(answer)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [a.status_code for a in answers] == [200] * 4
        first = answers[0].json()
        assert len(first["communes"]) == 50 and first["pages"] == 401 and first["next"]
        assert max(timings) < 1.0, timings
        second = httpx.get(first["next"], timeout=30).json()
        assert second["page"] == 2 and {c["key"] for c in second["communes"]}.isdisjoint(
            c["key"] for c in first["communes"])
        page = httpx.get(server.url + "/progress", params={"province": PROVINCE}, timeout=30)
        assert page.status_code == 200 and "Trang 1/401" in page.text
        # a batch of 20 000 communes: its page is paged, and 40 commune pages at once leave room for others
        batch = httpx.get(server.url + f"/batches/{key}", timeout=30)
        assert batch.status_code == 200 and batch.text.count('class="commune"') == 200
        results = []

        def commune(position):
            started = time.monotonic()
            answer = httpx.get(server.url + f"/batches/{key}/communes/{position}", timeout=30)
            results.append((answer.status_code, time.monotonic() - started))

        threads = [threading.Thread(target=commune, args=(assessed - 1 - n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        assess = httpx.post(server.url + "/v1/assess", content=(FIXTURES / "tan-cuong-attains-2020.json").read_bytes(),
                            timeout=30)
        for thread in threads:
            thread.join(60)
        assert assess.status_code == 200
        assert [status for status, _ in results] == [200] * 40
        assert max(seconds for _, seconds in results) < 10
        assert peak_rss_mb(server.process.pid) < 200
    finally:
        server.stop()


def _upload_bytes(path: Path, boundary: str = "b0undary") -> bytes:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode()
    body = head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return (f"POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_abandoned_uploads_leave_no_job_and_nothing_stored(tmp_path):
    upload = tmp_path / "big.csv"
    big_batch(upload, 1500)
    server = Server(tmp_path, "--batches-at-once", "10")
    request = _upload_bytes(upload)
    try:
        sockets = []
        for _ in range(10):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(request)
            sockets.append(sock)
        deadline = time.monotonic() + 30
        while len(children(server.process.pid)) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(children(server.process.pid)) == 10  # every batch running in its child process
        for sock in sockets:
            sock.close()  # the clients go away
        deadline = time.monotonic() + 15
        while children(server.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert children(server.process.pid) == []
        time.sleep(0.5)
        conn = sqlite3.connect(server.db)
        assert conn.execute("SELECT COUNT(*) FROM batches").fetchone() == (0,)
        assert list((server.db.parent / "history-batches").iterdir()) == []
        log = server.output()
        assert log.count("stopped, its client went away") == 10 and "Traceback" not in log
    finally:
        server.stop()


def test_batches_at_once_are_bounded(tmp_path):
    upload = tmp_path / "big.csv"
    big_batch(upload, 1500)
    server = Server(tmp_path, "--batches-at-once", "1")
    try:
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(_upload_bytes(upload))
        deadline = time.monotonic() + 30
        while not children(server.process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        busy = httpx.post(server.url + "/v1/batch", files={"file": ("x.csv", CSV.read_bytes())},
                          headers={"Accept-Language": "en"}, timeout=30)
        assert busy.status_code == 503 and int(busy.headers["retry-after"]) > 0
        assert set(busy.json()) == {"error", "field", "fix"} and "batches" in busy.json()["error"]
        sock.close()
    finally:
        server.stop()


def test_serve_that_cannot_listen_is_exit_2(tmp_path):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    keys = tmp_path / "keys.json"
    from ntm_rules.service.keys import add_key

    add_key(str(keys), "office", "admin")
    try:
        for args, said in ((["--port", str(taken.getsockname()[1])], "--port"),
                           (["--host", "203.0.113.7", "--keys", str(keys), "--port", str(free_port())], "--host"),
                           (["--host", "no-such-host.invalid", "--keys", str(keys)], "--host")):
            done = subprocess.run([sys.executable, "-m", "ntm_rules", "serve", "--db", str(tmp_path / "db.sqlite3"),
                                   *args], capture_output=True, text=True, env=ENV, timeout=60)
            assert done.returncode == 2, (args, done.stderr)
            assert len(done.stderr.strip().splitlines()) == 1 and said in done.stderr, done.stderr
            assert "Traceback" not in done.stderr
    finally:
        taken.close()
    port = free_port()
    running = subprocess.Popen([sys.executable, "-m", "ntm_rules", "serve", "--host", "[::1]", "--port", str(port),
                                "--db", str(tmp_path / "db.sqlite3")], env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                assert httpx.get(f"http://[::1]:{port}/healthz", timeout=2).json() == {"ok": True}
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("serve --host [::1] did not answer")
    finally:
        running.terminate()
        running.wait(20)
