"""An image for `leveret image build`."""

import os

import leveret

HERE = os.path.dirname(os.path.abspath(__file__))

image = leveret.Image.debian_slim().add_local_dir(os.path.join(HERE, "data"), "/srv/data").run_commands("echo built > /built")
broken = leveret.Image.debian_slim().run_commands("echo nope && exit 4")
