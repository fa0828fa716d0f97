"""``mcrkit gui``: the local web interface."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mcrkit.cli.common import Quiet, app, fail


@app.command()
def gui(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    host: Annotated[str, typer.Option(
        help="Address to listen on; the default is reachable only from this computer.")
    ] = "127.0.0.1",
    output: Annotated[Path, typer.Option(
        "-o", "--output", help="Directory for the result directories of the jobs.")
    ] = Path("mcrkit-runs"),
    quiet: Quiet = False,
) -> None:
    """Serve the web interface (open the printed address in a browser); Ctrl-C stops it."""
    try:
        from mcrkit.gui.app import LOCAL_HOSTS, serve
    except ImportError as exc:
        fail(f"the web interface needs the gui extra ({exc}); install it with "
             "pip install 'mcrkit[gui]'")
    if host not in LOCAL_HOSTS:
        typer.secho(f"warning: listening on {host}: anyone who can reach this computer on port "
                    f"{port} can use the interface, upload files and run jobs; there is no "
                    "authentication", err=True, fg=typer.colors.YELLOW)
    shown = f"[{host}]" if ":" in host else host

    def ready() -> None:
        typer.echo(f"mcrkit GUI on http://{shown}:{port} (open it in a browser; Ctrl-C stops "
                   "the server, and a running job keeps the state it reached)")

    try:
        serve(host, port, output, ready=ready)
    except OSError as exc:
        fail(str(exc))
