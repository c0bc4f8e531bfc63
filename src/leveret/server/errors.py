"""Errors the server's logic raises for the API to turn into a status: named, so that a bug's
KeyError is never mistaken for the user's "not found"."""


class NotFound(Exception):
    """What was asked for does not exist (or no longer runs); the message names what there is, or
    how to find it. The API answers NOT_FOUND with it."""

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else "not found"
