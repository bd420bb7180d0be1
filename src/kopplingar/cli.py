"""The ``kopplingar`` command: assembles the command groups from ``kopplingar.commands``."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="kopplingar",
    help="Connect and disconnect bureaus and client companies: digital requests and paper forms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    log_json: bool = typer.Option(
        False, "--log-json", help="Log JSON lines (same as KOPPLINGAR_LOG_FORMAT=json)."
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", help="DEBUG, INFO, WARNING, ... (default KOPPLINGAR_LOG_LEVEL, INFO)."
    ),
) -> None:
    """Connect and disconnect bureaus and client companies: digital requests and paper forms."""
    from kopplingar import logs

    try:
        logs.configure("json" if log_json else None, log_level)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def _register_all() -> None:
    """Every module in ``kopplingar.commands`` with a ``register(app)`` adds its commands."""
    import importlib
    import pkgutil

    from kopplingar import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)


_register_all()


def main() -> None:
    from kopplingar.storage.schema import SchemaNotAtHeadError

    try:
        app()
    except SchemaNotAtHeadError as error:  # KOPPLINGAR_AUTO_MIGRATE=false and an old schema
        import sys

        sys.stderr.write(f"Fel: {error}\n")
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
