"""The ``leveret`` command (``main.py``: one module per noun) and the embedded daemon's process
(``daemon.py``), which imports none of the commands."""
