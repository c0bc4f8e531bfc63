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
        self._registry_secret = None   # from_registry(secret=): the credentials, a Secret (never in the steps)

    def __repr__(self) -> str:
        return f"<leveret.Image {' -> '.join(s['op'] for s in self._steps)}>"

    def _then(self, step: dict, force_build: bool) -> "Image":
        if force_build:
            import secrets

            step = {**step, "force": secrets.token_hex(8)}   # a new layer id: the step runs again
        image = Image(self._steps + (step,))
        image._registry_secret = self._registry_secret
        return image

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
    def from_registry(tag: str, secret=None, *, add_python: str | None = None, force_build: bool = False,
                      setup_dockerfile_commands=None) -> "Image":
        """An image from an OCI / Docker registry, e.g. 'python:3.11-slim' or 'localhost:5000/team/app:v1'.

        The image needs python3 (>= 3.9) on its PATH. ``secret`` gives credentials for a private
        registry: a Secret with REGISTRY_USERNAME and REGISTRY_PASSWORD. The image names it (by its
        id on the server, once the app starts); its values go only to the worker that pulls."""
        if not isinstance(tag, str) or not tag or any(c.isspace() for c in tag):
            raise InvalidError(f"from_registry takes an image reference, e.g. 'python:3.11-slim', not {tag!r}")
        for option, value in (("add_python", add_python), ("setup_dockerfile_commands", setup_dockerfile_commands)):
            if value:
                raise NotImplementedOptionError(f"Image.from_registry({option}=...) is not supported yet; remove `{option}=`")
        step = {"op": "from_registry", "ref": tag}
        image = Image(())._then(step, force_build)
        if secret is not None:
            from .secret import Secret, check_secrets

            check_secrets([secret])
            if secret._name:   # checked when the app starts
                secret = Secret.from_name(secret._name, environment_name=secret._environment_name,
                                          required_keys=[*REGISTRY_KEYS, *getattr(secret, "_required_keys", ())])
            elif not set(REGISTRY_KEYS) <= set(secret._env):
                raise InvalidError("from_registry(secret=...) needs a Secret with REGISTRY_USERNAME and REGISTRY_PASSWORD")
            image._registry_secret = secret
        return image

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

    def add_local_file(self, local_path, remote_path: str, *, copy: bool = True) -> "Image":
        """Put a local file into the image at ``remote_path`` (a layer of its own; changed content rebuilds it)."""
        import os

        local = os.path.abspath(os.fspath(local_path))
        if not os.path.isfile(local) and not _in_container():
            raise InvalidError(f"add_local_file: {local_path!r} is not a file")
        return self._then({"op": "add_local", "kind": "file", "local": local, "remote": _absolute(remote_path, "add_local_file")}, False)

    def add_local_dir(self, local_path, remote_path: str, *, copy: bool = True, ignore=()) -> "Image":
        """Put a local directory's files into the image under ``remote_path``."""
        import os

        local = os.path.abspath(os.fspath(local_path))
        if not os.path.isdir(local) and not _in_container():
            raise InvalidError(f"add_local_dir: {local_path!r} is not a directory")
        if not isinstance(ignore, (list, tuple)) or not all(isinstance(p, str) for p in ignore):
            raise InvalidError("add_local_dir: ignore takes a list of glob patterns, e.g. ignore=['*.pyc', '.git']")
        return self._then({"op": "add_local", "kind": "dir", "local": local, "remote": _absolute(remote_path, "add_local_dir"),
                           "ignore": list(ignore)}, False)

    def add_local_python_source(self, *modules: str, copy: bool = True) -> "Image":
        """Put the named local Python modules or packages into the image, importable by name."""
        if not modules or not all(isinstance(m, str) and m for m in modules):
            raise InvalidError("add_local_python_source takes module names, e.g. add_local_python_source('mylib')")
        return self._then({"op": "add_local", "kind": "python", "modules": list(modules), "remote": PYTHON_SOURCE_DIR}, False)

    def pip_install_from_requirements(self, requirements_txt, *, force_build: bool = False) -> "Image":
        """pip install what a requirements file lists (requirements only; pip options are refused)."""
        import os

        path = os.fspath(requirements_txt)
        if _in_container():   # the module is imported to find a function; images are built elsewhere
            return self
        try:
            with open(path) as f:
                lines = [ln.split("#", 1)[0].strip() for ln in f]
        except OSError as exc:
            raise InvalidError(f"pip_install_from_requirements: cannot read {path!r}: {exc}") from None
        options = [ln for ln in lines if ln.startswith("-")]
        if options:
            raise InvalidError(f"pip_install_from_requirements: {path} has pip options ({options[0]!r}); list requirements"
                               " only, and pass an index with pip_install(..., extra_index_url=...)")
        return self.pip_install(*[ln for ln in lines if ln], force_build=force_build)

    def uv_pip_install(self, *packages, requirements: list[str] | None = None, find_links: str | None = None,
                       index_url: str | None = None, extra_index_url: str | None = None, pre: bool = False,
                       extra_options: str = "", force_build: bool = False, uv_version: str | None = None,
                       env: dict | None = None, secrets=(), gpu=None) -> "Image":
        """Install Python packages with uv (``uv pip install``) into the image's python3.

        ``requirements`` names local requirement files: they are read here, when the image is
        defined, and travel with it. uv (``uv_version``, else UV_VERSION) is fetched with the
        image's pip and left at /.uv/uv, as Modal leaves it; ``extra_options`` adds uv flags,
        e.g. ``extra_options="--index-strategy unsafe-best-match"``."""
        for option, value, fix in (
                ("secrets", secrets, "build steps get no secrets; a private index's credentials can go in its URL,"
                 " index_url='https://USER:TOKEN@host/simple' (kept in the image's definition)"),
                ("gpu", gpu, "build steps run without a GPU, and packages (CUDA wheels too) install without one"),
                ("env", env, "set variables with .env({...}) before this step (they stay in the image)")):
            if value:
                raise NotImplementedOptionError(f"Image.uv_pip_install({option}=...) is not supported yet: {fix};"
                                                f" remove `{option}=`")
        names = sorted(_names("uv_pip_install", packages))
        if requirements is not None and not isinstance(requirements, (list, tuple)):
            raise InvalidError(f"uv_pip_install: requirements takes a list of local file paths, e.g."
                               f" requirements=['requirements.txt'], not {requirements!r}")
        files = [] if _in_container() else [_requirements_file(path) for path in requirements or ()]
        if not names and not files:
            return self
        urls = {name: _url(name, value) for name, value in
                (("find_links", find_links), ("index_url", index_url), ("extra_index_url", extra_index_url))}
        step = {"op": "uv_pip_install", "packages": names, "requirements": files, **urls, "pre": bool(pre),
                "extra_options": _uv_options(extra_options), "uv_version": _uv_version(uv_version)}
        return self._then(step, force_build)

    def build(self, app) -> "Image":
        """Build the image now, on a worker of ``app``'s server (a running or looked-up app), instead of
        at its first container's start; returns it. A failed step raises with its output."""
        from .exception import ExecutionError, SandboxTerminatedError
        from .sandbox import Sandbox

        sb = Sandbox.create(app=app, image=self, timeout=3600, cpu=(0.01, 1.0))   # started once it is built
        try:
            sb.wait_until_ready(timeout=3600)
        except SandboxTerminatedError as exc:
            raise ExecutionError(f"the image could not be built: {exc}") from None
        finally:
            sb.terminate()
        return self

    def imports(self) -> "_Imports":
        """``with image.imports(): import numpy`` — imports that exist in the image only: outside a
        container an ImportError inside the block is ignored."""
        return _Imports()

    def _not_yet(name: str, meanwhile: str = "use run_commands or pip_install meanwhile", static: bool = False):
        def method(*args, **kwargs):
            raise NotImplementedOptionError(f"Image.{name} is not supported yet; {meanwhile}")

        method.__name__ = name
        return staticmethod(method) if static else method

    pip_install_from_pyproject = _not_yet("pip_install_from_pyproject")
    dockerfile_commands = _not_yet("dockerfile_commands")
    run_function = _not_yet("run_function", "run the step as a script: add_local_file(...) then run_commands("
                            "\"python /path/script.py\"), or do it once in the function's @enter")
    micromamba_install = _not_yet("micromamba_install", "use pip_install, or apt_install for system packages")
    entrypoint = _not_yet("entrypoint", "a function's container runs the function; a sandbox runs the command"
                          " given to Sandbox.create")
    cmd = _not_yet("cmd", "a sandbox runs the command given to Sandbox.create")
    micromamba = _not_yet("micromamba", "start from Image.debian_slim() or Image.from_registry(\"python:3.12-slim\")",
                          static=True)
    from_aws_ecr = _not_yet("from_aws_ecr", "use Image.from_registry(TAG, secret=...) with the registry's"
                            " REGISTRY_USERNAME and REGISTRY_PASSWORD", static=True)
    from_gcp_artifact_registry = _not_yet("from_gcp_artifact_registry", "use Image.from_registry(TAG, secret=...)"
                                          " with the registry's REGISTRY_USERNAME and REGISTRY_PASSWORD", static=True)
    del _not_yet


REGISTRY_KEYS = ("REGISTRY_USERNAME", "REGISTRY_PASSWORD")
PYTHON_SOURCE_DIR = "/root/python"   # add_local_python_source puts modules here; it is on the path


def _in_container() -> bool:
    """Inside a container the user's module is imported to find its functions, not to build images:
    local files an image names are not there, and need not be."""
    import os

    return bool(os.environ.get("LEVERET_CONTAINER_ID"))


UV_VERSION = "0.13.8"   # the uv that uv_pip_install uses unless given uv_version=


def _requirements_file(path) -> dict:
    """A requirements file's name and text, read now: the worker building the image has no local files."""
    import os

    try:
        local = os.path.expanduser(os.fspath(path))
        with open(local) as f:
            text = f.read()
    except (OSError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidError(f"uv_pip_install: cannot read requirements file {path!r}: {exc}") from None
    if not local.endswith(".toml"):   # pyproject.toml and pylock.toml are read whole by uv
        for line in text.splitlines():
            if line.strip().startswith(("-r", "-c", "--requirement", "--constraint")):
                raise InvalidError(f"uv_pip_install: {local} reads another local file ({line.strip()!r}), which the"
                                   " worker building the image does not have: list each requirements file in"
                                   " requirements=[...], and put constraints in them as pins")
    return {"name": os.path.basename(local) or "requirements.txt", "text": text}


def _url(option: str, value) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or any(c.isspace() for c in value) or value.startswith("-"):
        raise InvalidError(f"uv_pip_install: {option} takes one URL or path, e.g. {option}='https://example.com/simple',"
                           f" not {value!r}")
    return value


def _uv_options(extra_options) -> list[str]:
    """``extra_options`` as uv arguments: options only, each quoted again when the command is built."""
    import shlex

    example = "e.g. extra_options='--index-strategy unsafe-best-match'"
    if not isinstance(extra_options, str):
        raise InvalidError(f"uv_pip_install: extra_options takes a string of uv options, {example}, not {extra_options!r}")
    try:
        words = shlex.split(extra_options)
    except ValueError as exc:
        raise InvalidError(f"uv_pip_install: extra_options={extra_options!r} does not parse ({exc}); {example}") from None
    if (words and not words[0].startswith("-")) or any(w in ("", "-", "--") for w in words):
        raise InvalidError(f"uv_pip_install: extra_options={extra_options!r} is not a list of uv options ({example});"
                           " packages go in the positional arguments")
    return words


def _uv_version(uv_version) -> str:
    import re

    if uv_version is None:
        return UV_VERSION
    if not isinstance(uv_version, str) or not re.fullmatch(r"\d+(\.\d+){1,2}", uv_version):
        raise InvalidError(f"uv_pip_install: uv_version={uv_version!r}: give a uv release, e.g. uv_version='{UV_VERSION}'")
    return uv_version


def _absolute(path: str, what: str) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidError(f"{what}: remote_path must be absolute, e.g. '/app/data', not {path!r}")
    return path


async def steps_for_workers(image: "Image", upload, secret_id=None) -> list[dict]:
    """The image's steps as workers get them: each add_local step becomes add_files with the id of
    its files, which ``upload`` (async, [(path, content, mode)] -> mount id) makes available; a
    registry's credentials, the id of their secret (``secret_id``: async, Secret -> its id; the
    server gives the values to the worker that pulls), or without ``secret_id`` (a build here) the
    values themselves."""
    import os

    steps = []
    for step in image._steps:
        if step["op"] == "from_registry" and image._registry_secret is not None:
            if secret_id is not None:
                step = {**step, "credentials_secret": await secret_id(image._registry_secret)}
            else:
                from .secret import merged_env

                creds = merged_env([image._registry_secret])
                step = {**step, "credentials": [creds[k] for k in REGISTRY_KEYS]}
        if step["op"] != "add_local":
            steps.append(step)
            continue
        remote, files = resolve_local(step)
        loaded = []
        for local, rel in files:
            with open(local, "rb") as f:
                loaded.append((rel, f.read(), os.stat(local).st_mode & 0o777))
        steps.append({"op": "add_files", "remote": remote, "mount_id": await upload(loaded)})
        if step["kind"] == "python":
            steps.append({"op": "env", "vars": {"PYTHONPATH": PYTHON_SOURCE_DIR}})
    return steps


def resolve_local(step: dict) -> tuple[str, list[tuple[str, str]]]:
    """An add_local step's target directory and its files: (local path, path under that directory)."""
    import fnmatch
    import os

    remote = step["remote"]
    if step["kind"] == "file":
        if remote.endswith("/"):
            return remote.rstrip("/") or "/", [(step["local"], os.path.basename(step["local"]))]
        return os.path.dirname(remote) or "/", [(step["local"], os.path.basename(remote))]
    roots: list[tuple[str, str]] = []
    if step["kind"] == "dir":
        roots.append((step["local"], ""))
    else:
        import importlib.util

        for name in step["modules"]:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.origin in (None, "built-in", "frozen"):
                raise InvalidError(f"add_local_python_source: no local module or package named {name!r}")
            if spec.submodule_search_locations:
                roots.append((list(spec.submodule_search_locations)[0], name.replace(".", "/")))
            else:
                roots.append((spec.origin, name.replace(".", "/") + ".py"))
    ignore = step.get("ignore", []) + (["__pycache__", "*.pyc"] if step["kind"] == "python" else [])
    files = []
    for root, prefix in roots:
        if os.path.isfile(root):
            files.append((root, prefix))
            continue
        for dirpath, dirnames, names in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not any(fnmatch.fnmatch(d, p) for p in ignore))
            for n in sorted(names):
                if not any(fnmatch.fnmatch(n, p) for p in ignore):
                    rel = os.path.relpath(os.path.join(dirpath, n), root).replace(os.sep, "/")
                    files.append((os.path.join(dirpath, n), f"{prefix}/{rel}" if prefix else rel))
    return remote, files


class _Imports:
    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        return exc_type is not None and issubclass(exc_type, ImportError) and not _in_container()
