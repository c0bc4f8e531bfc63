"""An @app.cls in its container: one instance, with the parameter values of its function, its
``@enter`` methods run once before the first input, each input's method called on it, its
``@exit`` methods run when the container stops (a Stop from the worker, or SIGTERM).

    the class ─instance, parameters set─▶ @enter(snap=True) …, @enter() … ─▶ inputs: (method, *args)
    Stop │ SIGTERM ─▶ @exit … ─▶ the container ends

The SDK's decorators mark the functions (``__leveret_lifecycle__``: the kind, and ``snap``) and
``leveret.parameter()`` the class attributes (``__leveret_parameter__``): read here by those names,
without importing Leveret. Standard library only: the bootstrap imports it.
"""

from __future__ import annotations

import json

MARK = "__leveret_lifecycle__"      # on a function: ("enter" | "exit" | "method", snap)
PARAMETER = "__leveret_parameter__"  # on a class attribute made by leveret.parameter(): True
NO_DEFAULT = "__leveret_no_default__"


def _marked(cls, kind: str) -> list:
    """The class's functions marked ``kind``, in the order they are defined (snap=True first for @enter)."""
    found = []
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            mark = getattr(value, MARK, None)
            if mark is not None and mark[0] == kind:
                code = getattr(value, "__code__", None)
                found.append((not mark[1], code.co_firstlineno if code else 0, name))
    seen, names = set(), []
    for _, _, name in sorted(found):
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def decode_params(text: str) -> dict:
    """Parameter values from their canonical text (the SDK's _shared/params.py writes it)."""
    if not text:
        return {}
    import base64

    values = {}
    for name, cell in json.loads(text).items():
        (code, value), = cell.items()
        values[name] = base64.b64decode(value) if code == "y" else value
    return values


class Instance:
    """The class's instance in this container: call it with (method, *args) to run an input."""

    def __init__(self, cls, params_text: str):
        self.cls = cls
        values = decode_params(params_text)
        params = {name: value for name, value in vars_of(cls) if getattr(value, PARAMETER, False)}
        unknown = set(values) - set(params)
        if unknown:
            raise TypeError(f"{cls.__name__} has no parameter {sorted(unknown)[0]!r}"
                            f" (its parameters: {', '.join(sorted(params)) or 'none'})")
        self.obj = cls()
        for name, declared in params.items():
            if name in values:
                setattr(self.obj, name, values[name])
            elif getattr(declared, "default", NO_DEFAULT) is not NO_DEFAULT:
                setattr(self.obj, name, declared.default)
            else:
                raise TypeError(f"{cls.__name__} needs a value for its parameter {name!r}: it has no default")
        self.methods = {name: getattr(self.obj, name) for name in _marked(cls, "method")}
        self.exited = False

    def enter(self) -> None:
        for name in _marked(self.cls, "enter"):
            getattr(self.obj, name)()

    def exit(self) -> None:
        """Run the @exit methods, once; a failing one is printed, and the others still run."""
        if self.exited:
            return
        self.exited = True
        for name in _marked(self.cls, "exit"):
            try:
                getattr(self.obj, name)()
            except BaseException:   # the container is ending either way
                import traceback

                traceback.print_exc()

    def __call__(self, method: str, *args, **kwargs):
        bound = self.methods.get(method)
        if bound is None:
            raise AttributeError(f"{self.cls.__name__} has no @method() named {method!r}"
                                 f" (its methods: {', '.join(sorted(self.methods)) or 'none'})")
        return bound(*args, **kwargs)


def vars_of(cls) -> list:
    """The class's attributes, its bases' first, as (name, value)."""
    merged: dict = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass))
    return list(merged.items())
