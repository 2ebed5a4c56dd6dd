"""Entry point of the `duelo` command.

Each sub-command lives in its own module and is imported only when it is invoked, so `duelo --help`
stays fast; heavy imports (torch) happen inside the command bodies.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading

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
    "clean": "duelo.cli.clean:clean",
    "augment-gain": "duelo.cli.augment_gain:augment_gain_command",
    "tune": "duelo.cli.tune:tune",
    "audit": "duelo.cli.audit:audit",
    "hub": "duelo.cli.hub:hub",
    "logs": "duelo.cli.logs:logs",
    "studio": "duelo.cli.studio:studio",
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
    """Run the CLI; user errors (DueloError) print one clear line and exit with status 2, and so do write errors
    (full disk, quota, size limit, read-only, permissions); a second Ctrl-C stops at once without a traceback."""
    from duelo.errors import DueloError

    if hasattr(signal, "SIGXFSZ") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a file-size limit becomes EFBIG (a message), not a kill
    try:
        result = cli.main(args=argv, prog_name="duelo", standalone_mode=False)
    except OSError as error:
        from duelo.errors import write_error_message

        message = write_error_message(error)
        if message is None:
            raise
        click.secho(f"error: {message}", fg="red", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("\nstopped at once (second Ctrl-C); re-run the same command to resume from the last checkpoint",
                   err=True)
        return 130
    except MemoryError:
        click.secho("error: out of memory; ask for less (a smaller --batch, resolution, -n or model) or use a "
                    "machine with more memory", fg="red", err=True)
        return 2
    except DueloError as error:
        click.secho(f"{error.label}: {error}", fg="red" if error.exit_code == 2 else "yellow", err=True)
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("stopped at once (Ctrl-C); files are written whole or not at all, and re-running the same "
                   "command resumes a training run from its last checkpoint", err=True)
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
