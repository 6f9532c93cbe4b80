"""The HTTP service over the library: the API (/v1/...) and the coordination office's pages.

    ntm-assess serve [--host 127.0.0.1] [--port 8000] [--db PATH] [--keys FILE] [--allowed-host NAME]

`create_app(db=..., keys=...)` builds the ASGI application (FastAPI); `run.serve` runs it on
uvicorn with the connections bounded by `transport.OfficeProtocol`.
"""

__all__ = ["create_app"]


def __getattr__(name: str):
    """`create_app` is imported when first used, so that a batch's child process (service/run.py,
    service/job.py) never loads the web framework (PEP 562)."""
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'ntm_rules.service' has no attribute {name!r}")
