"""The one error type the CLI turns into a message and a non-zero exit."""


class UserError(Exception):
    """A problem the user can fix; the message names it and the way out."""
