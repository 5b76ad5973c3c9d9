"""Exceptions whose message is the one line a user sees (the CLI prints it and exits non-zero)."""


class HallperfError(Exception):
    """Base class: ``str(err)`` is a complete one-line message for the user."""


class InstrumentError(HallperfError, ValueError):
    """A codebook (instrument YAML) is invalid; the message lists every problem with its path."""


class InputFileError(HallperfError, ValueError):
    """A whole input file cannot be used (unreadable, wrong instrument, required column missing)."""


class StudyError(HallperfError, ValueError):
    """A study configuration names something that does not exist."""


class OutputWriteError(HallperfError):
    """An output could not be written (disk full, no permission); names the path and the OS error."""


class SchemeError(HallperfError, ValueError):
    """An appraisal scheme file is invalid or names a column the data do not have."""
