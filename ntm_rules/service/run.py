"""`ntm-assess serve`: the application on uvicorn, loopback unless keys guard it; and the
process of one uploaded batch the server starts, `python -m ntm_rules.service.run job REQUEST.json`
(service/job.py): it ends with the server, even one killed outright (Linux: PR_SET_PDEATHSIG), and
SIGTERM ends it with status 143."""
from __future__ import annotations

import ipaddress
import logging
import os
import re
import signal
import sys

from ..errors import InputError, Say

HOST_NAME = re.compile(r"^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$")


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(*, host: str = "127.0.0.1", port: int = 8000, db=None, token_file: str | None = None,
          keys_file: str | None = None, allowed_hosts: tuple[str, ...] = (), max_upload: int = 50 << 20,
          timeout: float = 600, answer_timeout: float = 30, batches_at_once: int = 2, head_timeout: float = 10,
          per_address: int = 64, jobs: int = 1) -> None:
    """Run the service until interrupted. Every problem found before it listens (a keys or token
    file, an address, a port in use) is an InputError: the command line's exit 2 and one line."""
    from .keys import read_keys, read_token

    if token_file and keys_file:
        raise InputError(Say("chỉ dùng một trong hai: tệp khóa hoặc tệp mã truy cập",
                             "use one of the two: a keys file or a token file"), field="⟪keys⟫",
                         fix=Say("dùng tệp khóa (⟪keys⟫)", "use the keys file (⟪keys⟫)"))
    keys = read_keys(keys_file) if keys_file else read_token(token_file) if token_file else None
    if keys is None and not is_loopback_host(host):
        raise InputError(Say(f"{host}: không có khóa truy cập thì dịch vụ chỉ nghe trên địa chỉ loopback",
                             f"{host}: without keys the service listens on loopback only"), field="⟪host⟫",
                         fix=Say("thêm khóa truy cập (⟪keys⟫), hoặc nghe trên 127.0.0.1 (⟪host⟫)",
                                 "add keys (⟪keys⟫), or listen on 127.0.0.1 (⟪host⟫)"))
    for name in allowed_hosts:
        if not HOST_NAME.match(name):
            raise InputError(Say(f"{name!r} không phải tên máy", f"{name!r} is not a host name"), field="⟪allowed_host⟫",
                             fix=Say("ghi tên như trong địa chỉ, ví dụ ntm.tinh.gov.vn",
                                     "write the name as in the address, e.g. ntm.province.gov.vn"))
    from .transport import bind

    sock = bind(host, port)
    import uvicorn

    from .app import create_app
    from .transport import OfficeProtocol

    address = host[1:-1] if host.startswith("[") else host
    named = [*allowed_hosts] + ([host if ":" not in address else f"[{address}]"]
                                if address not in ("0.0.0.0", "::") else [])
    app = create_app(db=db, keys=keys, max_upload=max_upload, timeout=timeout, answer_timeout=answer_timeout,
                     batches_at_once=batches_at_once, jobs=jobs, allowed_hosts=named)
    from ..history_places import warm

    warm()  # the history's places and the reform's mapping, indexed before the first request (about 1 s)
    protocol = OfficeProtocol.configured(head_timeout=head_timeout, per_address=per_address, total=1000)
    config = uvicorn.Config(app, http=protocol, log_level="info", server_header=False, timeout_keep_alive=5,
                            access_log=True)
    said = logging.StreamHandler()  # the service's own lines, beside uvicorn's and worded like them
    said.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    ours = logging.getLogger("ntm_rules.service")
    ours.addHandler(said)
    ours.setLevel(logging.INFO)
    ours.propagate = False
    uvicorn.Server(config).run(sockets=[sock])


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
