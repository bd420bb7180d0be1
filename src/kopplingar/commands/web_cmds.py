"""``kopplingar web``: serve the pages."""

from __future__ import annotations

import typer


def web(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the consent pages, the bureau and client pages and the review desk (/desk)."""
    import uvicorn

    from kopplingar.bootstrap import build
    from kopplingar.web.app import create_app

    # log_config=None: uvicorn's lines go through kopplingar.logs (text or JSON) like every other
    uvicorn.run(create_app(build()), host=host, port=port, log_config=None, proxy_headers=True)


def register(app: typer.Typer) -> None:
    app.command("web")(web)
