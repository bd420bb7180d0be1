"""Registry commands (placeholder until the registry lands)."""

from __future__ import annotations

import typer

from kopplingar import __version__


def register(app: typer.Typer) -> None:
    @app.command("version")
    def version() -> None:
        """Print the version."""
        typer.echo(__version__)
