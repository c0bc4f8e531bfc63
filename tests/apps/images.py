import os

import leveret

image = (
    leveret.Image.debian_slim()
    .env({"MODE": "prod"})
    .run_commands("mkdir -p /app && echo baked > /app/baked.txt")
    .workdir("/app")
)
broken_image = leveret.Image.debian_slim().run_commands("echo about to fail && exit 3")

app = leveret.App("images")


@app.function(image=image)
def inspect_image():
    with open("baked.txt") as f:
        baked = f.read().strip()
    return {"mode": os.environ.get("MODE"), "cwd": os.getcwd(), "baked": baked}


@app.function(image=broken_image)
def never_runs():
    return "unreachable"


tools_image = leveret.Image.debian_slim().apt_install("jq").pip_install("six==1.16.0")


@app.function(image=tools_image)
def use_tools():
    import subprocess

    import six

    out = subprocess.run(["jq", "-n", "1+1"], capture_output=True, text=True).stdout.strip()
    return out, six.__version__


HERE = os.path.dirname(os.path.abspath(__file__))
files_image = (
    leveret.Image.debian_slim()
    .add_local_dir(os.path.join(HERE, "data"), remote_path="/srv/data", ignore=["*.log"])
    .add_local_file(os.path.join(HERE, "data", "a.txt"), remote_path="/etc/app/config.txt")
    .add_local_python_source("apps.helpers")
)


@app.function(image=files_image)
def read_files():
    import apps.helpers

    found = sorted(os.path.relpath(os.path.join(d, n), "/srv/data") for d, _, ns in os.walk("/srv/data") for n in ns)
    with open("/etc/app/config.txt") as f:
        config = f.read().strip()
    return found, config, apps.helpers.shout("hi")


registry_app = leveret.App("registry-images")
REGISTRY_IMAGE = os.environ.get("LEVERET_TEST_REGISTRY_IMAGE", "localhost:5000/test/python:v1")


@registry_app.function(image=leveret.Image.from_registry(REGISTRY_IMAGE).run_commands("echo layered > /srv/layered.txt"))
def on_registry_image():
    with open("/etc/from-registry.txt") as f, open("layered.txt") as g:
        return f.read().strip(), g.read().strip(), os.environ.get("FROM_REGISTRY"), os.getcwd()


private_registry_app = leveret.App("private-registry-images")
PRIVATE_IMAGE = os.environ.get("LEVERET_TEST_PRIVATE_IMAGE", "localhost:5000/team/python:v1")


@private_registry_app.function(image=leveret.Image.from_registry(
    PRIVATE_IMAGE, secret=leveret.Secret.from_name("private-registry")))
def on_private_image():
    """The registry's credentials pull the image; they are not the function's environment."""
    with open("/etc/from-registry.txt") as f:
        return f.read().strip(), "REGISTRY_PASSWORD" in os.environ
