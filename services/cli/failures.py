"""How the CLI reports configuration that cannot be used: every problem at once, exit code 2."""

import click

from services.domain.errors import BrokerError, ConfigError, PagewireError

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


#: the exit code of a long-running process that gave up waiting for Kafka (PAGEWIRE_KAFKA_START_WAIT)
BROKER_EXIT = 3


def failure(exc: PagewireError) -> click.ClickException:
    """The CLI error of `exc`: exit 2 for configuration, 3 for a Kafka that never answered, else 1."""
    if isinstance(exc, ConfigError):
        return config_failure(str(exc))
    failed = click.ClickException(str(exc))
    if isinstance(exc, BrokerError):
        failed.exit_code = BROKER_EXIT
    return failed
