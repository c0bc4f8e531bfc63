"""Warm containers on functions' own images (worker/agent.py, container/preimport.py): a function's
container on an image ending leaves a warm one on that image in its place, importing what it
imported from the image's packages; the next container of a function on that image is that one;
WARM_IMAGES images at most (the oldest goes); what only its own function could use is not kept."""

import asyncio
import sys
import types

from leveret.container import preimport
from leveret.worker import agent as agent_module
from leveret.worker import model as m
from leveret.worker.agent import Agent
from leveret.worker.runtime.fake import FakeRuntime
from leveret.worker.task_runner import ContainerTask


def make_agent(tmp_path, monkeypatch, warm_containers=1):
    started, stopped = [], []

    def start(self):
        started.append(self)
        self.task = asyncio.get_running_loop().create_future()   # running: not done

    monkeypatch.setattr(ContainerTask, "start", start)
    monkeypatch.setattr(ContainerTask, "stop", lambda self, reason: stopped.append((self, reason)))
    return Agent("http://127.0.0.1:1", "token", FakeRuntime(), str(tmp_path), warm_containers=warm_containers), \
        started, stopped


def ended(agent, image: str, imported=("fastapi", "fastapi.routing"), **definition) -> ContainerTask:
    task = ContainerTask(agent, m.Assignment("ct-1", "fu-1", "ap-1", m.Definition(name="f", image=image, **definition)))
    task.imported = imported
    return task


def test_an_ended_containers_image_keeps_a_warm_container_that_the_next_function_on_it_gets(tmp_path, monkeypatch):
    async def go():
        agent, started, stopped = make_agent(tmp_path, monkeypatch)
        agent.forget(ended(agent, "img-a"))
        (warm,) = [t for t in agent.pool if t.warm_image]
        assert (warm.warm_image, warm.preimport, warm.a) == ("img-a", ("fastapi", "fastapi.routing"), None)
        agent.forget(ended(agent, "img-a"))   # one per image
        assert [t.warm_image for t in agent.pool if t.warm_image] == ["img-a"]
        for image in ("img-b", "img-c"):   # WARM_IMAGES (2): the oldest image's goes
            agent.forget(ended(agent, image))
        assert [t.warm_image for t in agent.pool if t.warm_image] == ["img-b", "img-c"]
        assert stopped == [(warm, "a warm container on a more recently used image takes its place")]
        taken = next(t for t in agent.pool if t.warm_image == "img-b")
        agent._start_container(m.Assignment("ct-9", "fu-2", "ap-2", m.Definition(name="g", image="img-b")))
        assert agent.tasks["ct-9"] is taken and taken not in agent.pool and taken.a.function_id == "fu-2"
        agent._start_container(m.Assignment("ct-10", "fu-3", "ap-3", m.Definition(name="h", image="img-c", cpu=2.0)))
        assert agent.tasks["ct-10"].warm_image == "" and any(t.warm_image == "img-c" for t in agent.pool)
        return agent

    asyncio.run(go())


def test_nothing_is_kept_for_the_default_image_limits_no_imports_or_no_warm_containers(tmp_path, monkeypatch):
    async def go():
        agent, _, _ = make_agent(tmp_path, monkeypatch)
        agent.forget(ended(agent, ""))                      # the default image has its pool already
        agent.forget(ended(agent, "img-a", memory_mb=512))   # made for its function
        agent.forget(ended(agent, "img-b", imported=()))     # it recorded nothing
        kept = [t.warm_image for t in agent.pool if t.warm_image]
        none, _, _ = make_agent(tmp_path, monkeypatch, warm_containers=0)
        none.forget(ended(none, "img-c"))
        return kept, [t for t in none.pool if t.warm_image]

    assert asyncio.run(go()) == ([], [])
    assert agent_module.WARM_IMAGES == 2


def test_the_record_holds_the_images_packages_and_the_standard_library_never_the_functions_code(tmp_path,
                                                                                                monkeypatch):
    fake = {"mine": types.SimpleNamespace(__file__="/root/mine.py"),
            "pkg.sub": types.SimpleNamespace(__file__="/usr/local/lib/python3.11/site-packages/pkg/sub.py"),
            "deb": types.SimpleNamespace(__file__="/usr/lib/python3/dist-packages/deb/__init__.py"),
            "json": sys.modules["json"], "_private": types.SimpleNamespace(__file__=sys.modules["json"].__file__),
            "builtin": types.SimpleNamespace(), "leveret.app": types.SimpleNamespace(__file__="/opt/leveret/lib/x.py")}
    monkeypatch.setattr(preimport.sys, "modules", fake)
    preimport.record(str(tmp_path))
    assert preimport.read(str(tmp_path)) == ("deb", "json", "leveret.app", "pkg.sub")
    assert preimport.read(str(tmp_path / "nowhere")) == ()
    monkeypatch.undo()
    preimport.run("json,no_such_module_here,,email.utils")   # what fails is skipped
    assert "email.utils" in sys.modules
