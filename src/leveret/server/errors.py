"""Errors the server's logic raises for the API to turn into a status: named, so that a bug's
KeyError or ValueError is never mistaken for the user's "not found" or "not valid"."""


class _Refusal(Exception):
    """A request the server turns down, with a message for the user that names the fix."""

    default = "refused"

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.default


class NotFound(_Refusal):
    """What was asked for does not exist (or no longer runs); the message names what there is, or
    how to find it. The API answers NOT_FOUND with it."""

    default = "not found"


class AlreadyExists(_Refusal):
    """What was to be created is there already (a named object); the message names it and how to
    use it or make room. The API answers ALREADY_EXISTS with it."""

    default = "already exists"


class Invalid(_Refusal):
    """What was asked is not valid as it stands (a name against the naming rule, an unknown kind, a
    change only another command makes); the message names the fix. The API answers
    INVALID_ARGUMENT with it."""

    default = "not valid"


class StorageFull(_Refusal):
    """The store could not write: its disk is full (writes.py makes this of the backend's error).
    The API answers RESOURCE_EXHAUSTED; what was refused works again once there is room."""

    default = "the server's storage is full"


class Forbidden(_Refusal):
    """What the caller's token may not do (a user token's scope, server/auth.py); the message names
    the scope it needs. The API answers PERMISSION_DENIED with it."""

    default = "not allowed"
