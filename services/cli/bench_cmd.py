"""`pagewire bench [--quick] [--only PARTS]`: the benchmark harness (`python -m bench`) of a checkout."""

import os
import subprocess
import sys
from pathlib import Path

import click

# bench/ sits beside services/ in a clone; an installed wheel ships services/ only
CHECKOUT = Path(__file__).resolve().parents[2]


@click.command(
    "bench",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def command(arguments: tuple[str, ...]) -> None:
    """Measure the pipeline on the local broker and print the table (`pagewire bench --help` for options)."""
    if not (CHECKOUT / "bench" / "__main__.py").is_file():
        raise click.ClickException(f"no bench/ beside {CHECKOUT / 'services'}: run it from a clone")
    # its own process: the harness runs worker and pacer subprocesses and owns its event loop; started
    # from the caller's directory (a relative --json path means what the caller thinks it means)
    path = os.pathsep.join(filter(None, [str(CHECKOUT), os.environ.get("PYTHONPATH")]))
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bench", *arguments],
        env={**os.environ, "PYTHONPATH": path, "PAGEWIRE_BENCH_PROG": "pagewire bench"},
        check=False,
    )
    sys.exit(done.returncode)
