"""A crash loop, through a real server, worker and container processes: containers of a function
that die by themselves hold back its next start, longer each time, on the server's clock (a fake
one here: the hold-offs pass when the test says so).

Not in test_orchestration.py: that module holds a run open on the shared cluster, and this test
makes a cluster of its own."""

from apps import crash_loop


def test_a_crash_loop_backs_off(fake_clock_cluster):
    cluster = fake_clock_cluster

    def kept():
        return cluster.function(crash_loop.app.app_id, "kept")

    with crash_loop.app.run(show_logs=False):
        cluster.jump(1)                                                    # a periodic pass starts its min_containers
        cluster.wait_for(lambda d: kept().crash_streak == 2, timeout=30)   # the first crash held nothing back
        assert kept().backoff == "2 crash(es) in a row: next start in 1.0 s"
        assert "2 container crash(es) in a row: the next start waits 1 s" in kept().events[-1].text
        cluster.jump(0.5)
        assert not kept().containers and kept().crash_streak == 2          # held back on the server's clock
        cluster.jump(1.5)                                                  # past the hold-off: a periodic pass starts one
        cluster.wait_for(lambda d: kept().crash_streak == 3, timeout=30)
        assert any("3 container crash(es) in a row: the next start waits 2 s" in e.text for e in kept().events)
