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
def _root() -> None:
    """Connect and disconnect bureaus and client companies: digital requests and paper forms."""


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
    app()


if __name__ == "__main__":
    main()
