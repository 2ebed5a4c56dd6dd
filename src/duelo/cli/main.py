"""Entry point of the `duelo` command.

Each sub-command lives in its own module and is imported only when it is invoked, so `duelo --help`
stays fast; heavy imports (torch) happen inside the command bodies.
"""

from __future__ import annotations

import importlib
import sys

import click

from duelo import __version__

# command name -> "module:attribute" (a click.Command or click.Group)
COMMANDS: dict[str, str] = {
    "train": "duelo.cli.train:train",
    "sample": "duelo.cli.sample:sample",
    "interpolate": "duelo.cli.interpolate:interpolate",
    "mix": "duelo.cli.mix:mix",
    "project": "duelo.cli.project:project",
    "translate": "duelo.cli.translate:translate",
    "inpaint": "duelo.cli.restore:inpaint",
    "restore": "duelo.cli.restore:restore",
    "datasets": "duelo.cli.datasets:datasets",
    "data": "duelo.cli.data_check:data",
    "eval": "duelo.cli.eval:eval_command",
    "export": "duelo.cli.export:export",
    "doctor": "duelo.cli.doctor:doctor",
    "tabular": "duelo.cli.tabular:tabular",
}


class LazyGroup(click.Group):
    """A click group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        return getattr(importlib.import_module(module_name), attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="duelo")
def cli() -> None:
    """duelo: train and use Generative Adversarial Networks."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user errors (DueloError) print one clear line and exit with status 2."""
    from duelo.errors import DueloError

    try:
        result = cli.main(args=argv, prog_name="duelo", standalone_mode=False)
    except DueloError as error:
        click.secho(f"{error.label}: {error}", fg="red" if error.exit_code == 2 else "yellow", err=True)
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as done:
        return done.exit_code
    return result if isinstance(result, int) else 0  # ctx.exit(n) comes back as the return value



def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
