"""The ``qrna`` command line.

``qrna --help`` lists the commands; ``qrna --version`` prints the version.
"""

from __future__ import annotations

import typer

from qrna._version import __version__

app = typer.Typer(
    name="qrna",
    help="qrna: simulate quantum networks built on the Quantum Recursive Network Architecture.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qrna {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """qrna: simulate quantum networks built on the Quantum Recursive Network Architecture."""


def main() -> None:
    """Entry point of the ``qrna`` console script."""
    app()
