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
