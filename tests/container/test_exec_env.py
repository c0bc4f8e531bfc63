"""A command run in a running container with an environment of its own (a function's secrets:
`leveret container exec`, `leveret shell`) gets it from a process file only the worker reads,
never on a command line that any user of the host sees in /proc; the container's own
environment stays under it; the file goes when the command ends."""

import asyncio
import os
import secrets

import pytest

from leveret._shared.ids import new_id
from leveret.worker.images.base import default_rootfs
from leveret.worker.runtime.base import ContainerSpec, RuntimeStartError
from leveret.worker.runtime.oci import CrunRuntime, RuncRuntime

pytestmark = pytest.mark.container

SECRET = "topsecret-" + secrets.token_hex(8)


def command_lines_holding(text: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    line = f.read()
            except OSError:
                continue
            if text.encode() in line and str(os.getpid()) != pid:
                found.append(line.replace(b"\0", b" ").decode(errors="replace"))
    return found


@pytest.mark.parametrize("runtime_class", [CrunRuntime, RuncRuntime], ids=["crun", "runc"])
@pytest.mark.parametrize("tty", [False, True], ids=["pipes", "tty"])
def test_an_execs_environment_is_never_on_a_command_line(tmp_path, runtime_class, tty):
    async def main():
        runtime = runtime_class(str(tmp_path / "state"))
        spec = ContainerSpec(new_id("ct"), ["sh", "-c", "echo up; sleep 60"], {"OWN": "kept"}, str(tmp_path),
                             rootfs=default_rootfs())
        handle = await runtime.start(spec)
        try:
            assert await handle.stdout.readline() == b"up\n"   # running
            if tty and not runtime.exec_terminal:   # runc: a console socket only for a command it lets go of
                with pytest.raises(RuntimeStartError, match="--runtime crun"):
                    await runtime.exec(handle, ["true"], env={"SECRET": SECRET}, tty=True, size=(24, 80))
                return
            ex = await runtime.exec(handle, ["sh", "-c", "sleep 1; echo \"$SECRET $OWN\""], env={"SECRET": SECRET},
                                    tty=tty, size=(24, 80) if tty else (0, 0))
            await asyncio.sleep(0.5)   # while it runs
            assert command_lines_holding(SECRET) == []
            files = [n for n in os.listdir(handle.bundle) if n.startswith("exec-")]
            assert len(files) == 1 and os.stat(os.path.join(handle.bundle, files[0])).st_mode & 0o077 == 0
            if tty:
                out = b""
                while b"kept" not in out:
                    out += await asyncio.get_running_loop().run_in_executor(None, os.read, ex.pty, 1024)
                os.close(ex.pty)
            else:
                out = await ex.proc.stdout.read()
            assert await ex.proc.wait() == 0 and f"{SECRET} kept".encode() in out
            await asyncio.sleep(0.1)
            assert not [n for n in os.listdir(handle.bundle) if n.startswith("exec-")]
        finally:
            handle.kill(9)
            await handle.wait()
            await runtime.remove(handle)
            await runtime.close()

    asyncio.run(main())
