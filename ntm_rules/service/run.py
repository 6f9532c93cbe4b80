"""`ntm-assess serve`: the application on uvicorn, loopback unless a bearer token guards it; and the
process of one uploaded batch the server starts, `python -m ntm_rules.service.run job REQUEST.json`
(service/job.py): it ends with the server, even one killed outright (Linux: PR_SET_PDEATHSIG), and
SIGTERM ends it with status 143."""
from __future__ import annotations

import ipaddress
import os
import signal
import stat
import sys

from ..errors import InputError, Say


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def read_token(path: str) -> str:
    """The bearer token: the first line of a regular file, at least 16 characters, no spaces."""
    fix = Say("ghi một mã dài ít nhất 16 ký tự (ví dụ: python3 -c 'import secrets; print(secrets.token_urlsafe(32))')",
              "write a token of at least 16 characters (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 4096:
            raise InputError(Say("không phải một tệp mã truy cập", "not a token file"), source=path, field="⟪token_file⟫",
                             fix=fix)
        with open(path, encoding="utf-8") as handle:
            token = handle.readline().strip()
    except OSError as error:
        raise InputError(Say(f"không đọc được ({error.strerror})", f"cannot be read ({error.strerror})"), source=path,
                         field="⟪token_file⟫", fix=fix) from None
    except UnicodeDecodeError:
        raise InputError(Say("không phải chữ UTF-8", "not UTF-8 text"), source=path, field="⟪token_file⟫", fix=fix) from None
    if len(token) < 16 or any(c.isspace() or not c.isprintable() for c in token):
        raise InputError(Say("mã truy cập quá ngắn hoặc có khoảng trắng", "the token is too short or holds spaces"),
                         source=path, field="⟪token_file⟫", fix=fix)
    return token


def serve(*, host: str = "127.0.0.1", port: int = 8000, db=None, token_file: str | None = None,
          max_upload: int = 50 << 20, timeout: float = 600, jobs: int = 1) -> None:
    token = read_token(token_file) if token_file else None
    if token is None and not is_loopback_host(host):
        raise InputError(Say(f"{host}: không có mã truy cập thì dịch vụ chỉ nghe trên địa chỉ loopback",
                             f"{host}: without a token the service listens on loopback only"), field="⟪host⟫",
                         fix=Say("thêm mã truy cập (⟪token_file⟫), hoặc nghe trên 127.0.0.1 (⟪host⟫)",
                                 "add a token (⟪token_file⟫), or listen on 127.0.0.1 (⟪host⟫)"))
    import uvicorn

    from .app import create_app

    app = create_app(db=db, token=token, max_upload=max_upload, timeout=timeout, jobs=jobs)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, timeout_keep_alive=5,
                limit_concurrency=200, access_log=True)


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:
        os._exit(1)


def job(request_path: str) -> None:
    """One uploaded batch in this process (a child of the server): service/job.py's `run_request`."""
    _die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from .job import run_request

    run_request(request_path)


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "job":
        sys.exit("usage: python -m ntm_rules.service.run job REQUEST.json")
    job(argv[1])


if __name__ == "__main__":
    main(sys.argv[1:])
