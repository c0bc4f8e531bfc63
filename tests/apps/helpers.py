"""A local module that images.py ships with add_local_python_source."""


def shout(text):
    return text.upper() + "!"
