"""The one domain error type: anything the user can fix. The CLI prints it and exits 2."""


class NnrunError(Exception):
    """A problem the user can fix (a bad config, a missing file, bad data).

    The command line prints ``str(error)`` on stderr, with no traceback, and exits with code 2.
    """


class ConfigError(NnrunError):
    """A config file that cannot be used; ``errors`` holds one message per problem found."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class DataError(NnrunError):
    """A data set that cannot be used: a missing file, a missing column, NaN values, ...

    ``key`` is the dotted config key to blame when one setting is (``data.n_samples``), so
    that a command that read the config can point at the line that set it.
    """

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key
