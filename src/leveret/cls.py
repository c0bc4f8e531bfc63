"""``@app.cls``: a class whose containers each hold one instance, set up once and called many times.

    @app.cls(gpu="A10G")
    class Model:
        size: int = leveret.parameter(default=1)

        @leveret.enter()
        def load(self): ...           # once per container, before its first input

        @leveret.method()
        def predict(self, x): ...     # Model(size=2).predict.remote(x), .map, .spawn, …

        @leveret.exit()
        def close(self): ...          # when the container stops (scale-down, app stop, SIGTERM)

The class is one function on the server; each parameter set (``Model(size=2)``) is a function of
its own, bound at its first call (FunctionBind), with containers of its own. A method call is an
input of that function whose first argument names the method; the container's instance
(container/lifecycle.py) runs it.
"""

from __future__ import annotations

from ._shared import params as _params
from .exception import InvalidError
from .function import Function

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

LIFECYCLE = "__leveret_lifecycle__"     # container/lifecycle.py reads these two by name
PARAMETER = "__leveret_parameter__"
NO_DEFAULT = "__leveret_no_default__"


class _Parameter:
    """What ``leveret.parameter()`` leaves on the class: the default of an instance attribute."""

    __leveret_parameter__ = True

    def __init__(self, default, init: bool):
        self.default, self.init = default, init

    def __repr__(self) -> str:
        return "leveret.parameter()" if self.default is NO_DEFAULT else f"leveret.parameter(default={self.default!r})"


def parameter(*, default: Any = NO_DEFAULT, init: bool = True) -> Any:
    """A parameter of an @app.cls: ``Model(name=value)`` sets it on the instance in the containers
    of that parameter set (str, int, bool or bytes)."""
    if default is not NO_DEFAULT and type(default) not in _params.CODES:
        raise InvalidError(f"leveret.parameter(default={default!r}): a parameter is a str, int, bool or bytes")
    if not init:
        raise InvalidError("leveret.parameter(init=False) is not supported yet: set the attribute in an @enter method")
    return _Parameter(default, init)


def _mark(kind: str, snap: bool = False):
    def wrapper(f):
        if not callable(f):
            raise InvalidError(f"@leveret.{kind}() decorates a method, not {f!r}")
        setattr(f, LIFECYCLE, (kind, snap))
        return f

    return wrapper


def enter(_warn_parentheses_missing=None, *, snap: bool = False):
    """Run this method once in each container, before its first input (``snap`` is accepted: it
    orders the method first, as Modal runs those before a memory snapshot)."""
    if _warn_parentheses_missing is not None:
        raise InvalidError("use @leveret.enter() with parentheses")
    return _mark("enter", snap)


def exit(_warn_parentheses_missing=None):  # noqa: A001 - Modal's name
    """Run this method when a container stops: scaled down, its app stopped, or sent SIGTERM."""
    if _warn_parentheses_missing is not None:
        raise InvalidError("use @leveret.exit() with parentheses")
    return _mark("exit")


def method(_warn_parentheses_missing=None, *, is_generator: bool | None = None):
    """A method callable remotely: ``Model().name.remote(...)``, ``.map``, ``.spawn``, ``.remote_gen``."""
    if _warn_parentheses_missing is not None:
        raise InvalidError("use @leveret.method() with parentheses")
    return _mark("method")


def parameters_of(user_cls) -> dict[str, _Parameter]:
    merged: dict = {}
    for klass in reversed(user_cls.__mro__):
        merged.update({k: v for k, v in vars(klass).items() if isinstance(v, _Parameter)})
    return merged


def web_methods_of(user_cls) -> dict:
    """The class's web methods (web.py's decorators on its methods): name -> WebConfig."""
    from . import web

    found = {}
    for klass in reversed(user_cls.__mro__):
        for name, value in vars(klass).items():
            config = web.of(value) if callable(value) else None
            if config is not None:
                found[name] = config
    return found


def methods_of(user_cls) -> dict[str, bool]:
    """The class's @method()s: name -> is a generator."""
    from ._utils.kinds import is_generator_function

    found = {}
    for klass in reversed(user_cls.__mro__):
        for name, value in vars(klass).items():
            mark = getattr(value, LIFECYCLE, None)
            if mark is not None and mark[0] == "method":
                found[name] = is_generator_function(value)
    return found


class Cls:
    """An @app.cls (or one looked up by name): call it with its parameters for an instance handle."""

    def __init__(self, user_cls, fn: Function | None, *, lookup: tuple | None = None, changes: dict | None = None):
        self._user_cls = user_cls
        self._fn = fn if fn is not None else Function.from_name(*lookup[:2], environment_name=lookup[2] or None)
        self._parameters = parameters_of(user_cls) if user_cls is not None else None
        self._methods = methods_of(user_cls) if user_cls is not None else None
        self._changes = dict(changes or {})   # with_options and its kin, merged
        self.__doc__ = getattr(user_cls, "__doc__", None)

    def _with(self, changes: dict) -> "Cls":
        copy = Cls.__new__(Cls)
        copy.__dict__.update(self.__dict__)
        copy._changes = {**self._changes, **changes}
        return copy

    def with_options(self, **options) -> "Cls":
        """This class with other options (cpu, memory, gpu, timeout, retries, …): its instances run in
        containers of their own. Repeated calls merge."""
        from ._with_options import option_changes

        return self._with(option_changes(self._fn._name, **options))

    def with_concurrency(self, *, max_inputs: int, target_inputs: int | None = None) -> "Cls":
        from ._with_options import concurrency_changes

        return self._with(concurrency_changes(max_inputs, target_inputs))

    def with_batching(self, *, max_batch_size: int, wait_ms: int) -> "Cls":
        from ._with_options import batching_changes

        return self._with(batching_changes(max_batch_size, wait_ms))

    def __repr__(self) -> str:
        return f"<leveret.Cls {self._fn._name}>"

    @classmethod
    def from_name(cls, app_name: str, name: str, *, environment_name: str | None = None) -> "Cls":
        """A deployed class, by its app's name and its own: looked up at its first call."""
        return cls(None, None, lookup=(app_name, name, environment_name or ""))

    @property
    def object_id(self) -> str | None:
        return self._fn.object_id

    def get_raw_f(self):
        """The user's class (what a container instantiates)."""
        return self._user_cls

    def __call__(self, **values) -> "Obj":
        if self._parameters is not None:
            unknown = sorted(set(values) - set(self._parameters))
            if unknown:
                raise InvalidError(f"{self._fn._name} has no parameter {unknown[0]!r} (its parameters:"
                                   f" {', '.join(sorted(self._parameters)) or 'none'}); declare it on the class"
                                   f" as `{unknown[0]}: str = leveret.parameter()`")
            missing = [k for k, p in self._parameters.items() if k not in values and p.default is NO_DEFAULT]
            if missing:
                raise InvalidError(f"{self._fn._name}(...) needs {missing[0]}=: that parameter has no default")
        return Obj(self, _params.encode(values))


class Obj:
    """An instance handle: ``Model(size=2)``. Its methods are Functions of that parameter set."""

    def __init__(self, cls: Cls, params_text: str):
        self._cls = cls
        self._params = params_text
        self._bound: tuple[str, str] | None = None   # (class function id, bound function id)
        self._handles: dict[str, _Method] = {}
        self._local = None

    def __repr__(self) -> str:
        return f"<leveret.Obj {_params.bound_name(self._cls._fn._name, self._params)}>"

    def __getattr__(self, name: str) -> "_Method":
        if name.startswith("_"):
            raise AttributeError(name)
        methods = self._cls._methods
        web_methods = self._cls._fn._web_methods
        if methods is not None and name not in methods and name not in web_methods:
            raise AttributeError(f"{self._cls._fn._name} has no @leveret.method() named {name!r}"
                                 f" (its methods: {', '.join(sorted(methods)) or 'none'})")
        handle = self._handles.get(name)
        if handle is None:
            handle = self._handles[name] = _Method(self, name, None if methods is None else methods.get(name, False))
        return handle

    async def _function_id(self, client) -> str:
        """The function of this parameter set (the class's own without parameters), bound once per run."""
        from ._with_options import text

        base = self._cls._fn._function_id
        if not self._params and not self._cls._changes:
            return base
        if self._bound is None or self._bound[0] != base:
            self._bound = (base, await client.bind(base, self._params, await text(self._cls._changes, client)))
        return self._bound[1]

    def _instance(self):
        """The class instantiated here, with these parameters and its @enter run (``.local()``)."""
        if self._local is None:
            if self._cls._user_cls is None:
                raise InvalidError(f"{self._cls._fn._name} was looked up by name and its code is not here:"
                                   " call its methods with .remote(), .map() or .spawn()")
            from .container.lifecycle import Instance

            self._local = Instance(self._cls._user_cls, self._params)
            self._local.enter()
        return self._local


class _Method(Function):
    """One method of an instance handle, with all of Function's call forms."""

    def __init__(self, obj: Obj, name: str, is_generator: bool | None):
        cls_fn = obj._cls._fn
        self._raw_f = None
        self._app = cls_fn._app
        self._name = f"{cls_fn._name}.{name}"
        self._options = cls_fn._options
        self._function_id = None
        self._client = None
        self._is_generator = is_generator   # None: not known here (a class looked up by name)
        self._lookup = None
        self._obj, self._method = obj, name
        self.__doc__ = None

    def _call_args(self, args: tuple) -> tuple:
        return (self._method, *args)

    def get_web_url(self) -> str | None:
        """A web method's URL on the gateway, once its app runs or is deployed; None for other methods."""
        return self._obj._cls._fn._web_urls.get(self._method)

    async def _live(self):
        cls_fn = self._obj._cls._fn
        client = await cls_fn._live()
        self._function_id = await self._obj._function_id(client)
        self._client = client
        return client

    def _local_f(self):
        return getattr(self._obj._instance().obj, self._method)
