"""Functions that use a Dict from inside their containers (tests/integration/test_dicts_inside.py,
tests/container/test_crun_dicts.py)."""

import leveret

app = leveret.App("dict-user")


@app.function()
def fill(name: str, n: int) -> int:
    d = leveret.Dict.from_name(name, create_if_missing=True)
    d.update({i: i * i for i in range(n)})
    d["from"] = "container"
    return len(d)


@app.function()
def read(name: str, key):
    d = leveret.Dict.from_name(name)
    return d.get(key), key in d, d.put(key, "again", skip_if_exists=True), len(d.items())


@app.function()
def count_up(name: str) -> int:
    """Each input adds itself: many containers at once."""
    d = leveret.Dict.from_name(name)
    return d.put(leveret.current_input_id(), 1)


@app.function()
def try_delete(name: str) -> str:
    try:
        leveret.Dict.objects.delete(name)
    except leveret.exception.Error as exc:
        return f"{type(exc).__name__}: {exc}"
    return "deleted"


def _plain_calls(name: str, forbid_frames: bool) -> tuple:
    """A few plain calls: (the values read, the client's direct connection's type or None, the
    calls that went as ObjectCall frames once the Dict was hydrated — refused if ``forbid_frames``)."""
    from leveret import _client

    d = leveret.Dict.from_name(name)
    d.put("a", 1)   # hydrates it (ObjectCall frames), and opens the way for what follows
    client = _client._client
    asked, frames = [], client.object_call

    async def counted(method, fields):
        asked.append(method)
        if forbid_frames:
            raise AssertionError(f"{method} went as an ObjectCall frame")
        return await frames(method, fields)

    client.object_call = counted
    got = (d.get("a"), d.put("b", [2]), d["b"], "a" in d, len(d), d.pop("a"))
    return got, type(client.direct).__name__ if client.direct is not None else None, asked


@app.function()
def direct_path(name: str) -> tuple:
    return _plain_calls(name, forbid_frames=True)


@app.function()
def frames_path(name: str) -> tuple:
    """Run in a container of its own (no other test uses it): its first direct connection is refused."""
    return _plain_calls(name, forbid_frames=False)


def _direct_said() -> tuple:
    """What this container's direct connection says: (whether it polls for replies, the refusal of
    a method the direct port does not serve)."""
    from leveret import _client
    from leveret._shared.direct_frames import Refused

    leveret.Dict.from_name("direct-probe", create_if_missing=True).put("k", 1)   # opens the way
    direct = _client._client.direct
    try:
        direct.exchange("ObjectList", b"")
        refusal = None
    except Refused as exc:
        refusal = (exc.status, exc.message)
    return direct.spin_s > 0, refusal


@app.function()
def direct_said() -> tuple:
    return _direct_said()


@app.function(cpu=0.5)
def direct_said_half_a_core() -> tuple:
    return _direct_said()


@app.function(block_network=True)
def direct_path_without_network(name: str) -> tuple:
    """Its own network namespace, with nothing in it: the connection it is handed still reaches the server."""
    return _plain_calls(name, forbid_frames=True)
