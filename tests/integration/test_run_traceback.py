"""What `leveret run` prints when a function raises: one traceback — the entrypoint's frame, then
the function's in its container at the local file's path with its source line — and the message
once; no frame of Leveret's or the standard library's, no second traceback."""

import os
import subprocess
import sys

APP = '''import leveret

app = leveret.App("traceback-example")


def check(x):
    if x > 2:
        raise ValueError(f"x is too big: {x}")
    return x


@app.function()
def work(x):
    return check(x)


@app.local_entrypoint()
def main():
    print(work.remote(1))
    print(work.remote(7))
'''


def test_leveret_run_prints_one_traceback_of_the_users_frames(cluster, tmp_path):
    app = tmp_path / "example.py"
    app.write_text(APP)
    done = subprocess.run([sys.executable, "-m", "leveret.cli", "run", "-q", str(app)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "LEVERET_TRACEBACK": ""})
    err = done.stderr
    assert done.returncode == 1 and done.stdout.splitlines()[0] == "1", (done.stdout, err)
    assert err.count("Traceback (most recent call last):") == 1 and err.count("x is too big: 7") == 1, err
    assert f'File "{app}", line 20, in main\n    print(work.remote(7))\n  ── in its container ──\n' in err
    assert f'File "{app}", line 14, in work\n    return check(x)\n' in err
    assert f'File "{app}", line 8, in check\n    raise ValueError(f"x is too big: {{x}}")\nValueError: x is too big: 7\n' in err
    assert "leveret/" not in err and "Remote traceback" not in err and "concurrent/futures" not in err


SCRIPT = APP.replace("@app.local_entrypoint()\ndef main():", "def main():") + """

if __name__ == "__main__":
    with app.run(show_logs=False):
        main()
"""


def test_a_script_run_with_python_prints_the_same_one_traceback(cluster, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "LEVERET_TRACEBACK": ""})
    err = done.stderr
    assert done.returncode == 1 and err.count("Traceback (most recent call last):") == 1, err
    assert f'File "{script}", line 8, in check\n' in err and err.endswith("ValueError: x is too big: 7\n"), err
    assert "Remote traceback" not in err and "leveret/" not in err
