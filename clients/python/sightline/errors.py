"""The one exception type of the Sightline client.

The daemon refuses a request with HTTP 4xx/5xx and a body ``{"error": {"code", "message", "path"?}}``
(see ``protocol/errors.ts``); the client raises that as :class:`SightlineError` with the same
``code``, ``message`` and ``path``. The client adds a few codes of its own for failures that never
reach the daemon:

``unavailable``
    no daemon.json, or the daemon does not answer (connection refused / reset).
``timeout``
    the daemon did not answer within the client's timeout.
``bad_value``
    a NaN or infinite number in the data (JSON cannot carry it); nothing was sent.
``bad_shape``
    ``join_keys`` / ``attributes`` do not have one entry per record; nothing was sent.
``invalid_request``
    an empty batch, or a value that cannot be written as JSON; nothing was sent.
``bad_file``
    daemon.json exists but cannot be read.
"""

from typing import List, Optional, Union

PathItem = Union[str, int]


class SightlineError(Exception):
    """A refusal from the daemon, or a client-side failure, with a stable machine ``code``."""

    def __init__(self, code: str, message: str, path: Optional[List[PathItem]] = None) -> None:
        super().__init__(message)
        self.code: str = code
        self.message: str = message
        self.path: Optional[List[PathItem]] = list(path) if path is not None else None

    def __str__(self) -> str:
        where = "" if not self.path else " (at {})".format(".".join(str(p) for p in self.path))
        return "[{}] {}{}".format(self.code, self.message, where)

    def __repr__(self) -> str:
        return "SightlineError({!r}, {!r}, {!r})".format(self.code, self.message, self.path)
