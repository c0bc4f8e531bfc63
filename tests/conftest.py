import os
import shutil
import tempfile
import time
import warnings

import pytest

from leveret.testing import Cluster, FakeClock
from _needs import missing
from _postgres import start_for_tests

# The SDK and the CLI read the user's ~/.leveret.toml profiles: never in tests (a test that wants
# one sets LEVERET_CONFIG_PATH to its own).
os.environ["LEVERET_CONFIG_PATH"] = os.path.join(tempfile.mkdtemp(prefix="leveret-tests-"), "leveret.toml")

# When a hypothesis test fails, its pytest plugin imports libcst to suggest a patch, and that
# import warns (mypy_extensions.TypedDict is deprecated). With filterwarnings=error the warning
# turns a plain test failure into an INTERNALERROR that stops the run. Import it once, quietly.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import libcst  # noqa: F401
    except ImportError:
        pass


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    """A real server and worker in this process; containers are real processes."""
    with Cluster(tmp_path_factory.mktemp("cluster")) as c:
        yield c


@pytest.fixture
def fake_clock_cluster(tmp_path):
    """A cluster of the test's own whose server is on a fake clock: its time moves only with
    ``jump(seconds)`` (scale-down windows, leases, schedules, crash-loop hold-offs), while
    containers run for real. It points the SDK at itself while it runs, so a module holding a run
    open on ``cluster`` (a module-scoped fixture) cannot use it."""
    with Cluster(tmp_path, clock=FakeClock(time.time())) as c:
        yield c


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for the session (tests/_postgres.py)."""
    server = start_for_tests()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres):
    """``postgresql://postgres@127.0.0.1:PORT/test_N``: a new, empty database for one test."""
    url = postgres.new_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture
def browser():
    """A headless Chromium driven by Selenium (the dashboard's tests)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        missing("headless Chromium is needed: apt-get install chromium chromium-driver")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
