"""The HTTP service over the library: the API (/v1/...) and the coordination office's pages.

    ntm-assess serve [--host 127.0.0.1] [--port 8000] [--db PATH] [--token-file FILE]

`create_app(db=..., token=...)` builds the ASGI application (FastAPI); `run.serve` runs it on uvicorn.
"""
from .app import create_app

__all__ = ["create_app"]
