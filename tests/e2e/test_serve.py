"""`leveret serve` against real server and worker processes: it prints the URL, reloads the app
when its file changes (same URL, the new code answering, no request failing meanwhile), keeps
serving the old code when the new one does not load, and stops the app at Ctrl-C."""

import queue
import signal
import subprocess
import threading
import time

import pytest

from _http import fetch
from procs import leveret_cmd

pytestmark = pytest.mark.e2e

APP = '''
import leveret

app = leveret.App("served")


async def answer(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"{text}"}})


@app.function()
@leveret.concurrent(max_inputs=10)
@leveret.asgi_app()
def page():
    return answer
'''


def get(url: str) -> tuple[int, bytes]:
    status, _, body = fetch(url, timeout=30)
    return status, body


def test_serve_reloads_on_a_change_with_the_same_url_and_stops_at_ctrl_c(cluster_processes, tmp_path):
    app_file = tmp_path / "served.py"
    app_file.write_text(APP.format(text="one"))
    proc = subprocess.Popen(leveret_cmd("serve", str(app_file)), env=cluster_processes["env"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    reader.start()

    def wait_for(text: str, timeout: float = 60) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if text in line:
                return line
        raise AssertionError(f"`leveret serve` did not print {text!r}")

    try:
        url = wait_for("/served-dev/page").split("=> ")[-1].strip()
        wait_for("edit files under")
        assert get(url) == (200, b"one")

        failures, answers, stop = [], set(), threading.Event()

        def keep_asking():
            while not stop.is_set():
                status, body = get(url)
                (answers.add(body) if status == 200 else failures.append((status, body)))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            app_file.write_text(APP.format(text="two"))
            wait_for("served.py changed: reloaded in")
            wait_for("page => ")
            deadline = time.time() + 30
            while get(url) != (200, b"two"):
                assert time.time() < deadline, "the reloaded code does not answer"
                time.sleep(0.1)
        finally:
            stop.set()
            asker.join()
        assert failures == [] and answers <= {b"one", b"two"}

        app_file.write_text("this is not python(")
        wait_for("does not load; still serving the code before")
        assert get(url) == (200, b"two")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) in (0, 130)
        reader.join(10)
        proc.stdout.close()
    assert get(url)[0] == 404   # its app stopped
