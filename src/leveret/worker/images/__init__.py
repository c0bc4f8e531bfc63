"""Images on a worker. For now one: the default root filesystem (see base.py)."""
