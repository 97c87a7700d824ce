"""A bare two-command Typer app: the start-up baseline for ``it2en --help``.

    python bench/bare_typer_app.py --help

Typer's defaults (rich help when rich is installed), nothing imported but typer.
"""

import typer

app = typer.Typer(help="A bare two-command Typer app.")


@app.command()
def hello(name: str = typer.Argument("world", help="Who to greet.")) -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


@app.command()
def goodbye(name: str = typer.Argument("world", help="Who to see off."), formal: bool = False) -> None:
    """Say goodbye."""
    typer.echo(f"{'Farewell' if formal else 'bye'} {name}")


if __name__ == "__main__":
    app()
