import inspect
import subprocess
import sys

import re

import pytest

import leveret
from leveret import App, InvalidError
from leveret._function_options import (
    DEFAULT_SCALEDOWN_WINDOW,
    MAX_SCALEDOWN_WINDOW,
    NOT_YET,
    FunctionOptions,
    validate,
)
from leveret.exception import NotImplementedOptionError

# a value a Modal program might pass for each option Leveret does not implement yet
SET_VALUES = {
    "network_file_systems": {"/nfs": "nfs"},
    "cloud": "aws",
    "proxy": "proxy",
    "enable_memory_snapshot": True,
    "i6pn": True,
    "single_use_containers": True,
    "max_inputs": 1,
}


def square(x):
    return x * x


def cube(x):
    return x * x * x


def test_every_not_yet_option_has_a_value_here():
    assert set(SET_VALUES) == set(NOT_YET)


def test_every_not_yet_option_is_an_app_function_parameter():
    assert set(NOT_YET) <= set(inspect.signature(App.function).parameters)


@pytest.mark.parametrize("option", sorted(NOT_YET))
def test_not_yet_option_is_refused_naming_the_option(option):
    app = App("t")
    with pytest.raises(NotImplementedOptionError, match=f"{option}=") as info:
        app.function(**{option: SET_VALUES[option]})(square)
    assert NOT_YET[option] in str(info.value)   # says what work brings it
    assert app.registered_functions == {}


def test_not_implemented_option_error_is_an_invalid_error():
    assert issubclass(NotImplementedOptionError, InvalidError)


def test_unset_options_are_accepted():
    app = App("t")
    f = app.function(gpu=None, secrets=[], volumes={}, enable_memory_snapshot=False, block_network=False)(square)
    assert app.registered_functions == {"square": f}


def test_defaults():
    assert validate("f", serialized=False, scaledown_window=None, max_containers=None, unset={}) == FunctionOptions(
        serialized=False, scaledown_window=DEFAULT_SCALEDOWN_WINDOW, max_containers=None)
    assert DEFAULT_SCALEDOWN_WINDOW == 60


def test_valid_options_are_kept():
    assert validate("f", serialized=True, scaledown_window=5, max_containers=3, unset={}) == FunctionOptions(
        serialized=True, scaledown_window=5, max_containers=3)


@pytest.mark.parametrize("window", [1, MAX_SCALEDOWN_WINDOW])
def test_scaledown_window_bounds_are_accepted(window):
    assert validate("f", serialized=False, scaledown_window=window, max_containers=None,
                    unset={}).scaledown_window == window


@pytest.mark.parametrize("window", [0, -1, MAX_SCALEDOWN_WINDOW + 1, 1.5, "60", True])
def test_bad_scaledown_window_is_refused_with_an_example(window):
    with pytest.raises(InvalidError, match=r"e\.g\. scaledown_window=60"):
        App("t").function(scaledown_window=window)(square)


@pytest.mark.parametrize("count", [0, -3, 2.0, "10", True])
def test_bad_max_containers_is_refused_with_an_example(count):
    with pytest.raises(InvalidError, match=r"e\.g\. max_containers=10"):
        App("t").function(max_containers=count)(square)


def test_ephemeral_disk_is_kept_in_mib_and_unset_is_the_workers_default():
    app = App("t")
    assert app.function(ephemeral_disk=20480)(square)._options.ephemeral_disk_mb == 20480
    assert app.function()(cube)._options.ephemeral_disk_mb == 0


@pytest.mark.parametrize("size", [0, -1, 1.5, "10GiB", True, 4 * 1024 * 1024])
def test_bad_ephemeral_disk_is_refused_with_an_example(size):
    with pytest.raises(InvalidError, match=r"ephemeral_disk=.*whole number of MiB.*e\.g\. ephemeral_disk=20480"):
        App("t").function(ephemeral_disk=size)(square)


def test_bad_serialized_is_refused():
    with pytest.raises(InvalidError, match="serialized must be True or False"):
        App("t").function(serialized="yes")(square)


def test_app_function_without_parentheses_is_refused():
    app = App("t")
    with pytest.raises(InvalidError, match=r"@app\.function\(\) with parentheses"):
        app.function(square)


def test_local_entrypoint_without_parentheses_is_refused():
    with pytest.raises(InvalidError, match=r"@app\.local_entrypoint\(\) with parentheses"):
        App("t").local_entrypoint(square)


def test_function_defined_inside_a_function_needs_serialized():
    def inner(x):
        return x

    with pytest.raises(InvalidError, match="serialized=True"):
        App("t").function()(inner)


def test_function_defined_inside_a_function_with_serialized_is_registered():
    def inner(x):
        return x

    app = App("t")
    f = app.function(serialized=True)(inner)
    assert list(app.registered_functions.values()) == [f]


def test_duplicate_function_names_are_refused():
    app = App("t")
    app.function(name="compute")(square)
    with pytest.raises(InvalidError, match="already has a function named 'compute'"):
        app.function(name="compute")(cube)


def test_same_function_in_two_apps_is_fine():
    App("a").function()(square)
    App("b").function()(square)


def test_decorating_a_function_twice_is_refused():
    app = App("t")
    f = app.function()(square)
    with pytest.raises(InvalidError, match="decorate it once"):
        App("other").function()(f)


def test_decorating_something_not_callable_is_refused():
    with pytest.raises(InvalidError, match="decorates a function"):
        App("t").function()(42)


@pytest.mark.parametrize("name", ["", "   ", 3])
def test_bad_app_name_is_refused(name):
    with pytest.raises(InvalidError, match="App name"):
        App(name)


def test_app_image_must_be_an_image():
    with pytest.raises(leveret.InvalidError, match="leveret.Image"):
        App("t", image="python:3.12")


def test_not_yet_app_option_is_refused():
    with pytest.raises(NotImplementedOptionError, match="include_source="):
        App("t", include_source=True)


@pytest.mark.parametrize("volumes, said", [
    (["/data"], "takes a dict of paths to volumes"),
    ({"data": None}, "paths are absolute"),
    ({"/": None}, "the container's system is there"),
    ({"/proc/x": None}, "the container's system is there"),
    ({"/data": "vol"}, "takes a leveret.Volume"),
])
def test_volumes_are_checked_where_the_function_is_defined(volumes, said):
    with pytest.raises(leveret.InvalidError, match=said):
        App("t").function(volumes=volumes)(square)


def test_volumes_inside_one_another_are_refused_and_the_apps_are_every_functions():
    a, b = leveret.Volume.from_name("a"), leveret.Volume.from_name("b")
    with pytest.raises(leveret.InvalidError, match="one is inside the other"):
        App("t").function(volumes={"/data": a, "/data/more": b})(square)
    app = App("t", volumes={"/shared": a})
    f = app.function(volumes={"/own": b})(square)
    assert [p for p, _ in f._options.volumes] == ["/own", "/shared"]
    assert app.function(volumes={"/shared": b})(cube)._options.volumes == (("/shared", b),)


def test_registered_function_still_runs_locally():
    f = App("t").function()(square)
    assert f.local(3) == 9
    assert f(4) == 16


def test_remote_on_an_app_that_is_not_running_says_to_use_app_run():
    f = App("t").function()(square)
    with pytest.raises(InvalidError, match=r"app\.run\(\)"):
        f.remote(3)


def test_remote_aio_on_an_app_that_is_not_running_says_to_use_app_run():
    import asyncio

    f = App("t").function()(cube)
    with pytest.raises(InvalidError, match=r"app\.run\(\)"):
        asyncio.run(f.remote.aio(3))


def test_spawn_on_an_app_that_is_not_running_says_to_use_app_run():
    f = App("t").function()(square)
    with pytest.raises(InvalidError, match=r"app\.run\(\)"):
        f.spawn(3)


def test_all_lists_exactly_the_public_names():
    # public names are imported at first use (leveret/__init__.py): dir() lists them before that
    public = {name for name in dir(leveret) if not name.startswith("_") and not inspect.ismodule(getattr(leveret, name))}
    assert set(leveret.__all__) - {"__version__"} == public
    assert len(leveret.__all__) == len(set(leveret.__all__))
    assert all(hasattr(leveret, name) for name in leveret.__all__)


def test_public_names_work_as_modal_programs_use_them():
    code = ("import leveret as modal\n"
            "from leveret import Image, OutOfMemoryError\n"
            "app = modal.App('m')\n"
            "assert isinstance(modal.Image.debian_slim(), Image) and issubclass(OutOfMemoryError, modal.Error)\n"
            "assert modal.exception.InvalidError is modal.InvalidError and modal.App is modal.app.App\n"
            "from leveret import *\n"
            "print(Secret.__module__, Cron.__module__, concurrent.__module__)\n"
            "try:\n    modal.NoSuchThing\nexcept AttributeError as e:\n    print(e)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["leveret.secret leveret.schedule leveret._concurrency",
                                          "module 'leveret' has no attribute 'NoSuchThing'"]


def test_import_leveret_stays_light():
    # containers import leveret with the user's module: what it adds to a bare interpreter stays small
    heavy = {"grpc", "google.protobuf", "asyncio", "inspect", "typing", "dataclasses", "cloudpickle"}
    code = "import sys; before = set(sys.modules); import leveret; print(*sorted(set(sys.modules) - before))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert heavy.isdisjoint(result.stdout.split())


@pytest.mark.parametrize("option, value, expected", [
    ("cpu", 2, 2.0), ("cpu", (0.5, 1.5), 1.5), ("memory", 512, 512), ("memory", (256, 1024), 1024)])
def test_cpu_and_memory_limits(option, value, expected):
    app = leveret.App("limits")

    @app.function(serialized=True, **{option: value})
    def f():
        pass

    assert getattr(f._options, "cpu" if option == "cpu" else "memory_mb") == expected


@pytest.mark.parametrize("option, value", [("cpu", 0), ("cpu", "2"), ("memory", -1), ("memory", 1.5), ("memory", True)])
def test_bad_cpu_and_memory_name_the_fix(option, value):
    app = leveret.App("limits")
    with pytest.raises(leveret.InvalidError, match=f"{option}=.*e.g. {option}="):
        @app.function(serialized=True, **{option: value})
        def f():
            pass


# ---------------------------------------------------------------------- orchestration options


def options_of(**kwargs):
    app = App("t")
    return app.function(**kwargs)(square)._options


def test_retries_as_a_number_retry_without_backoff():
    r = options_of(retries=3).retries
    assert (r.max_retries, r.backoff_coefficient, r.initial_delay) == (3, 1.0, 1.0)
    assert [r.delay(n) for n in (1, 2, 3)] == [1.0, 1.0, 1.0]


def test_retries_object_backs_off_up_to_its_max_delay():
    r = options_of(retries=leveret.Retries(max_retries=5, backoff_coefficient=3.0, initial_delay=2.0, max_delay=20.0)).retries
    assert [r.delay(n) for n in (1, 2, 3, 4)] == [2.0, 6.0, 18.0, 20.0]


def test_zero_retries_is_no_retries():
    assert options_of(retries=0).retries is None
    assert options_of(retries=leveret.Retries(max_retries=0)).retries is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(retries=-1), "retries=-1 must be from 0 to 10"),
    (dict(retries=11), "from 0 to 10"),
    (dict(retries="3"), "retries= takes a number of retries"),
    (dict(startup_timeout=0), "startup_timeout=0 must be seconds"),
    (dict(min_containers=-1), "min_containers=-1 must be a whole number"),
    (dict(buffer_containers=1.5), "buffer_containers=1.5 must be a whole number"),
    (dict(min_containers=3, max_containers=2), "min_containers=3 is more than max_containers=2"),
    (dict(region=""), "region= takes the name of a region"),
    (dict(cpu=(2.0, 1.0)), "asks for more than its limit"),
])
def test_bad_orchestration_options_are_refused_naming_the_fix(kwargs, match):
    with pytest.raises(InvalidError, match=match):
        options_of(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_retries=-1), "max_retries=-1"),
    (dict(max_retries=1, backoff_coefficient=0.5), r"backoff_coefficient=0.5\) must be a number from 1 to 10"),
    (dict(max_retries=1, initial_delay=61), "initial_delay=61"),
    (dict(max_retries=1, max_delay=0), "max_delay=0"),
])
def test_bad_retries_are_refused(kwargs, match):
    with pytest.raises(InvalidError, match=match):
        leveret.Retries(**kwargs)


def test_cpu_and_memory_pairs_are_request_and_limit():
    o = options_of(cpu=(0.5, 2.0), memory=(256, 1024))
    assert (o.cpu_request, o.cpu, o.memory_request_mb, o.memory_mb) == (0.5, 2.0, 256, 1024)
    o = options_of(cpu=1.0, memory=512)
    assert (o.cpu_request, o.cpu, o.memory_request_mb, o.memory_mb) == (1.0, 1.0, 512, 512)


def test_autoscaler_options_are_kept():
    o = options_of(min_containers=1, buffer_containers=2, max_containers=5, startup_timeout=30, region="eu")
    assert (o.min_containers, o.buffer_containers, o.max_containers, o.startup_timeout, o.region) == (1, 2, 5, 30.0, "eu")


def test_concurrent_sets_max_and_target_inputs():
    app = App("t")

    @app.function(serialized=True)
    @leveret.concurrent(max_inputs=8, target_inputs=4)
    async def fetch(url):
        return url

    assert (fetch._options.max_inputs, fetch._options.target_inputs) == (8, 4)
    plain = app.function()(cube)
    assert (plain._options.max_inputs, plain._options.target_inputs) == (1, 1)


def test_concurrent_target_defaults_to_max():
    @leveret.concurrent(max_inputs=3)
    def f(x):
        return x

    assert options_of_f(f) == (3, 3)


def options_of_f(f):
    o = App("t").function(serialized=True)(f)._options
    return o.max_inputs, o.target_inputs


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_inputs=0), r"max_inputs=0\) must be a whole number from 1"),
    (dict(max_inputs=2, target_inputs=3), r"target_inputs=3\) must not exceed max_inputs=2"),
])
def test_bad_concurrent_arguments_are_refused(kwargs, match):
    with pytest.raises(InvalidError, match=match):
        leveret.concurrent(**kwargs)


def test_concurrent_above_app_function_is_refused():
    app = App("t")
    f = app.function()(square)
    with pytest.raises(InvalidError, match="below @app.function"):
        leveret.concurrent(max_inputs=2)(f)


@pytest.mark.parametrize("gpu, parsed", [
    ("H100", ("H100", 1)), ("a100:2", ("A100", 2)), ("any", ("", 1)), ("any:4", ("", 4)), (None, ("", 0)),
    ("T4", ("T4", 1)), ("l4:8", ("L4", 8)), ("A10G", ("A10G", 1)), ("a10:4", ("A10", 4)), ("A100-40GB", ("A100-40GB", 1)),
    ("a100-80gb:8", ("A100-80GB", 8)), ("L40S", ("L40S", 1)), ("h100!", ("H100!", 1)), ("H100!:2", ("H100!", 2)),
    ("H200", ("H200", 1)), ("b200", ("B200", 1)), ("B200+:8", ("B200+", 8)), ("rtx-pro-6000", ("RTX-PRO-6000", 1)),
    (" h100 : 2 ", ("H100", 2)), (["h100", "A100-80GB"], ("H100,A100-80GB", 1)), (("L4:2", "t4:2"), ("L4,T4", 2)),
    (["H100", "any"], ("", 1)), (["T4", "t4"], ("T4", 1))])
def test_gpu_type_and_count(gpu, parsed):
    o = options_of(gpu=gpu)
    assert (o.gpu_type, o.gpu_count) == parsed


@pytest.mark.parametrize("gpu, match", [
    ("H100:9", "the count after ':' must be 1 to 8"), ("H100:0", "the count after ':' must be 1 to 8"),
    ("T4:x", "the count after ':' must be 1 to 8"), ("", "gpu= takes a GPU type"), (3, "gpu= takes a GPU type"),
    ("V100", "V100 is not a GPU type Leveret knows; use one of T4, L4, A10, A10G, L40S, A100, A100-40GB, A100-80GB,"),
    ("A10:5", "a container gets at most 4 A10 GPUs"), (":2", "no type is not a GPU type"),
    ([], "gpu=[] is empty"), (["H100", "A100:2"], "entries ask for different counts is not supported yet"),
    (["H100", "K80"], "K80 is not a GPU type")])
def test_bad_gpu_is_refused_at_definition_naming_the_fix(gpu, match):
    with pytest.raises(InvalidError, match=re.escape(match)):
        options_of(gpu=gpu)


def test_app_cls_refuses_max_inputs_as_app_function_does():
    app = App("cls-options")
    with pytest.raises(NotImplementedOptionError, match="max_inputs"):
        @app.cls(max_inputs=1, serialized=True)
        class Model:
            @leveret.method()
            def f(self):
                return 1
