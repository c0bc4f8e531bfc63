"""``Image``: a container image declared in code, as an ordered list of build steps.

    image = (leveret.Image.debian_slim(python_version="3.11")
             .apt_install("curl").pip_install("numpy==2.*").env({"MODE": "prod"}).workdir("/app"))

An Image is immutable: every method returns a new one with one more step. Workers build images
step by step into cached layers (see worker/images/README.md): an unchanged step costs nothing.
"""

from __future__ import annotations

from .exception import InvalidError, NotImplementedOptionError

_PACKAGE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-=<>!~*,[]:@/ ")


def _names(what: str, items: tuple) -> list[str]:
    flat: list[str] = []
    for item in items:
        flat.extend(item if isinstance(item, (list, tuple)) else [item])
    for name in flat:
        if not isinstance(name, str) or not name or not name[0].isalnum() or not set(name) <= _PACKAGE_CHARS:
            raise InvalidError(f"{what}: {name!r} is not a package name or requirement (e.g. 'curl', 'numpy==2.*')")
    return flat


class Image:
    """A container image: a base and the steps that build on it."""

    def __init__(self, steps: tuple[dict, ...]):
        self._steps = steps

    def __repr__(self) -> str:
        return f"<leveret.Image {' -> '.join(s['op'] for s in self._steps)}>"

    def _then(self, step: dict, force_build: bool) -> "Image":
        if force_build:
            import secrets

            step = {**step, "force": secrets.token_hex(8)}   # a new layer id: the step runs again
        return Image(self._steps + (step,))

    def to_json(self) -> str:
        """The canonical form sent to workers (its layers' ids derive from it)."""
        import json

        return json.dumps(list(self._steps), sort_keys=True, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> "Image":
        import json

        return Image(tuple(json.loads(text)))

    # ------------------------------------------------------------------ bases

    @staticmethod
    def debian_slim(python_version: str | None = None, force_build: bool = False) -> "Image":
        """Debian (the host's release, from its configured mirror) with python3 and pip."""
        major, _, minor = str(python_version).partition(".")
        if python_version is not None and not (major == "3" and minor.isdigit()):
            raise InvalidError(f"python_version={python_version!r}: give major.minor, e.g. python_version='3.11'")
        return Image(())._then({"op": "debian_slim", "python_version": python_version or ""}, force_build)

    @staticmethod
    def from_registry(tag: str, *args, **kwargs) -> "Image":
        raise NotImplementedOptionError(
            f"Image.from_registry({tag!r}) is not supported yet; use Image.debian_slim() and install what you need")

    @staticmethod
    def from_dockerfile(path: str, *args, **kwargs) -> "Image":
        raise NotImplementedOptionError("Image.from_dockerfile is not supported yet; use Image.debian_slim() and its steps")

    # ------------------------------------------------------------------ steps

    def apt_install(self, *packages, force_build: bool = False) -> "Image":
        """Install Debian packages."""
        names = _names("apt_install", packages)
        if not names:
            return self
        return self._then({"op": "apt_install", "packages": names}, force_build)

    def pip_install(self, *packages, force_build: bool = False, extra_index_url: str | None = None,
                    pre: bool = False) -> "Image":
        """Install Python packages with pip."""
        names = _names("pip_install", packages)
        if not names:
            return self
        step = {"op": "pip_install", "packages": names, "pre": bool(pre)}
        if extra_index_url:
            step["extra_index_url"] = str(extra_index_url)
        return self._then(step, force_build)

    def run_commands(self, *commands, force_build: bool = False) -> "Image":
        """Run shell commands, in order, each in /bin/sh."""
        cmds: list[str] = []
        for c in commands:
            cmds.extend(c if isinstance(c, (list, tuple)) else [c])
        if not all(isinstance(c, str) and c.strip() for c in cmds):
            raise InvalidError("run_commands takes non-empty shell command strings, e.g. run_commands('echo hi > /hi')")
        if not cmds:
            return self
        return self._then({"op": "run_commands", "commands": cmds}, force_build)

    def env(self, vars: dict[str, str]) -> "Image":
        """Set environment variables in the image."""
        if not isinstance(vars, dict) or not all(isinstance(k, str) and k and "=" not in k and isinstance(v, str)
                                                 for k, v in vars.items()):
            raise InvalidError("env takes a dict of str to str, e.g. env({'MODE': 'prod'})")
        return self._then({"op": "env", "vars": dict(vars)}, False)

    def workdir(self, path: str) -> "Image":
        """Set the working directory of functions (and of later steps)."""
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidError(f"workdir takes an absolute path, e.g. workdir('/app'), not {path!r}")
        return self._then({"op": "workdir", "path": path}, False)

    def imports(self) -> "_Imports":
        """``with image.imports(): import numpy`` — imports that exist in the image only: outside a
        container an ImportError inside the block is ignored."""
        return _Imports()

    def _not_yet(name: str):
        def method(self, *args, **kwargs):
            raise NotImplementedOptionError(f"Image.{name} is not supported yet; use run_commands or pip_install meanwhile")

        method.__name__ = name
        return method

    add_local_dir = _not_yet("add_local_dir")
    add_local_file = _not_yet("add_local_file")
    add_local_python_source = _not_yet("add_local_python_source")
    pip_install_from_requirements = _not_yet("pip_install_from_requirements")
    pip_install_from_pyproject = _not_yet("pip_install_from_pyproject")
    uv_pip_install = _not_yet("uv_pip_install")
    dockerfile_commands = _not_yet("dockerfile_commands")
    del _not_yet


class _Imports:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        import os

        in_container = bool(os.environ.get("LEVERET_CONTAINER_ID"))
        return exc_type is not None and issubclass(exc_type, ImportError) and not in_container
