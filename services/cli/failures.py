"""How the CLI reports configuration that cannot be used: every problem at once, exit code 2."""

import click

#: the exit code of a command refused for its configuration (settings, rule or destination files)
CONFIG_EXIT = 2


def config_failure(problems: str | list[str]) -> click.ClickException:
    """'Error: 3 problems:' then one indented line per problem; a single problem on the Error line itself."""
    lines = problems.splitlines() if isinstance(problems, str) else problems
    if len(lines) == 1:
        failure = click.ClickException(lines[0])
    else:
        listed = "\n".join(f"  {line}" for line in lines)
        failure = click.ClickException(f"{len(lines)} problems:\n{listed}")
    failure.exit_code = CONFIG_EXIT
    return failure
