"""A function on an image of its own that imports a module of the standard library
(tests/container/test_crun_image_warm.py)."""

import sys

import leveret

app = leveret.App("image-warm", image=leveret.Image.debian_slim().env({"IMAGE_WARM_TEST": "1"}))


@app.function(scaledown_window=1)
def imports() -> dict:
    """Whether xml.dom.minidom was imported before this call made it so, and the container's id."""
    before = "xml.dom.minidom" in sys.modules
    import os
    import xml.dom.minidom  # noqa: F401

    return {"before": before, "container": os.environ.get("LEVERET_CONTAINER_ID", "")}
