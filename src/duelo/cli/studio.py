"""`duelo studio`: the local web application over run folders (docs/studio.md)."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from duelo.errors import ConfigError


@click.command(context_settings={"show_default": True})
@click.option("--runs", "run_dirs", type=click.Path(path_type=Path), multiple=True, default=(Path("runs"),),
              help="A folder of runs (or one run folder); repeat for several.")
@click.option("--host", default="127.0.0.1", help="Address to listen on; only loopback unless --allow-remote.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, help="Port; 0 picks a free one.")
@click.option("--allow-remote", is_flag=True,
              help="Accept a --host that other machines can reach. The studio has no login: anyone who reaches "
                   "the port can see the runs and use the models.")
@click.option("--max-upload-mb", type=click.FloatRange(0.01, 1024), default=10.0,
              help="Largest upload (an image to translate or inpaint) the studio reads.")
@click.option("--open/--no-open", "open_browser", default=False, help="Open the studio in the default browser.")
@click.option("--jobs/--no-jobs", "jobs", default=None,
              help="Let the pages start duelo commands (train, resume, evaluate, export, audit, clean, tune...) as "
                   "processes of this user. [default: on for a loopback --host, off otherwise]")
@click.option("--verbose", is_flag=True, help="Log every request on the terminal.")
def studio(run_dirs: tuple[Path, ...], host: str, port: int, allow_remote: bool, max_upload_mb: float,
           open_browser: bool, jobs: bool | None, verbose: bool) -> None:
    """Browse runs, watch live training and use the models in a local web page.

    The runs page lists the runs under each --runs folder (task, dataset, kimg, status, headline scores, last
    health event); a run's page shows its losses, latest samples, health events and `duelo doctor`'s verdict,
    refreshing while it trains, and panels to draw images (seed, class, truncation, interpolation), rows of a
    table (with a condition), or to translate and inpaint an uploaded image. The jobs page and each run's page
    start the CLI's jobs (a new run, resume, evaluate, export, Hub folder, audit, clean, tune) as processes whose
    output the page shows. Stop it with Ctrl-C (running jobs get Ctrl-C too: a training run saves a checkpoint).

    \b
    Examples:
      duelo studio                              # runs/ on http://127.0.0.1:8765
      duelo studio --runs runs --runs ~/old-runs --port 0 --open
    """
    from duelo.studio.http import allowed_hosts, check_host, make_server
    from duelo.studio.processes import JobManager
    from duelo.studio.routes import Studio
    from duelo.studio.runs import RunFolders

    missing = [str(folder) for folder in run_dirs if not folder.is_dir()]
    if missing:
        raise ConfigError(f"--runs {missing[0]}: no such folder; give the folder `duelo train --out` wrote to "
                          f"(runs by default)")
    loopback = check_host(host, allow_remote)
    if not loopback:
        click.secho(f"warning: listening on {host}, which other machines may reach; the studio has no login",
                    fg="yellow", err=True)
    if jobs and not loopback:
        click.secho("warning: --jobs on a non-loopback address lets anyone who reaches the port run duelo "
                    "commands as you", fg="yellow", err=True)
    folders = RunFolders(list(run_dirs))
    manager = JobManager(folders.roots[0]) if (loopback if jobs is None else jobs) else None
    app = Studio(folders, max_upload_bytes=int(max_upload_mb * 2**20), verbose=verbose, jobs=manager)
    server = make_server(app, host, port)
    if loopback:
        app.hosts = allowed_hosts(host, server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_address[1]}/"
    click.echo(f"duelo studio on {url} (runs from {', '.join(map(str, run_dirs))}); Ctrl-C stops it")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    signal.signal(signal.SIGTERM, _interrupt)                   # `kill` stops it as Ctrl-C does
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("studio stopped")
    finally:
        server.server_close()
        running = [job for job in manager.listed() if job.code is None] if manager else []
        if running:
            click.echo(f"stopping {len(running)} job(s) as Ctrl-C would (a training run saves a checkpoint)")
            killed = manager.stop_all()
            if killed:
                click.echo(f"killed {len(killed)} job(s) that did not stop within 30 s: "
                           f"{', '.join(job.command for job in killed)}")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
