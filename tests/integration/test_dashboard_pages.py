"""The dashboard's pages in a real headless Chromium, each at a URL of its own, after a run ended:
the overview (workers, the backlog, failures of the last hour, usage), the stopped app with its
function, containers and their cold starts, the function's page (its stats, a chart with axes and a
legend, its inputs filtered to the failed one), the call's page and the input's, each with the
failure's traceback, the retried attempt's too; a deployed app's versions, rolled back from the page;
the objects page (Dicts, Volumes, the deployed web endpoint, a running sandbox). A screenshot of each
is saved (to $LEVERET_SCREENSHOTS too, when set)."""

import os
import shutil
import time
import urllib.request

import pytest

import leveret

from apps import dash_pages
from leveret.testing import Cluster


@pytest.fixture
def screenshots(tmp_path):
    saved = []

    def save(driver, name: str) -> None:
        path = tmp_path / f"{name}.png"
        assert driver.save_screenshot(str(path))
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        saved.append(path)
        if os.environ.get("LEVERET_SCREENSHOTS"):
            os.makedirs(os.environ["LEVERET_SCREENSHOTS"], exist_ok=True)
            shutil.copy(path, os.environ["LEVERET_SCREENSHOTS"])

    yield save
    assert saved


def test_each_page_of_a_finished_run(tmp_path, browser, screenshots):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from leveret.cli.dashboard import dashboard_url

    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))

    def text(css: str) -> str:
        return browser.find_element(By.CSS_SELECTOR, css).text

    with Cluster(tmp_path / "c", worker_lease_s=1.5):   # (containers' usage reported every 0.5 s)
        with dash_pages.app.run(show_logs=False):
            results = list(dash_pages.work.map(range(6), return_exceptions=True))
            app_id = dash_pages.app.app_id
            time.sleep(1.5)   # its container lives on a little: its use is reported
        leveret.Dict.from_name("dash-dict", create_if_missing=True)["k"] = "v"
        leveret.Volume.from_name("dash-volume", create_if_missing=True).hydrate()
        assert [r for r in results if isinstance(r, ValueError)] and results[0] == 0
        base = dashboard_url().partition("/login")[0]
        browser.get(dashboard_url())

        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#workers tbody tr[data-worker]"))   # the overview
        assert browser.current_url == base + "/"
        wait.until(lambda d: "dash-pages" in text("#failures") and text("#failures tbody td.failed") == "1")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#usage tr[data-usage="dash-pages/work"]'))
        screenshots(browser, "overview")

        browser.get(f"{base}/#/apps/{app_id}")   # the stopped app: its function is still there
        card = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-function="work"]'))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-function="work"] [data-chart="work"] .u-axis'))
        assert "dash-pages" in text("#app-title") and "stopped" in text("#app-title")
        phases = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#container-history td.phases")).text
        assert " = " in phases and "runtime_start" in phases, phases   # its cold start, phase by phase
        logs = browser.find_element(By.ID, "logs")   # (a scrolled box: its text, seen or not)
        wait.until(lambda d: "working on 3" in (t := logs.get_attribute("textContent")) and "raise ValueError" in t)
        screenshots(browser, "app")

        card.find_element(By.CSS_SELECTOR, "a.function-link").click()   # its page, at its own URL
        wait.until(lambda d: d.current_url == f"{base}/#/apps/{app_id}/functions/work")
        wait.until(lambda d: "6 input(s): failure 1, success 5" in text("#function-summary"))
        legend = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#function-chart .u-legend")).text
        assert all(name in legend for name in ("queued", "running", "containers"))
        assert browser.find_elements(By.CSS_SELECTOR, "#function-chart .u-axis")   # its axes
        # a stopped function's chart: its run as its stored inputs tell it (6 inputs ran, on 1 container)
        wait.until(lambda d: d.execute_script("return state.plot && state.plot.data[0].length") > 1)
        assert browser.execute_script("return Math.max(...state.plot.data[2])") > 0   # running, on average
        assert browser.execute_script("return Math.max(...state.plot.data[3])") > 0.99   # its container
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#inputs tbody tr")) == 6)
        Select(browser.find_element(By.ID, "f-status")).select_by_visible_text("failed")
        failed = wait.until(lambda d: (rows := d.find_elements(By.CSS_SELECTOR, "#inputs tbody tr")) and len(rows) == 1
                            and rows[0])
        assert "failure" in failed.text and "ValueError: x is 3" in failed.text and " 2 " in f" {failed.text} "
        screenshots(browser, "function")

        failed.find_element(By.CSS_SELECTOR, 'a[href^="#/calls/"]').click()   # the call's page
        wait.until(lambda d: "#/calls/fc-" in d.current_url)
        tbs = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#call-view pre.traceback"))
        assert len(tbs) == 2   # the retried attempt's, then the final one's
        assert all('raise ValueError(f"x is {x}")' in tb.text and tb.text.endswith("ValueError: x is 3") for tb in tbs)
        retried = text('#call-view tr.retried[data-attempt="1"]')
        assert "failure" in retried and "ValueError: x is 3 (retried)" in retried, retried
        assert "6 input(s): failure 1, success 5" in text("#call-view")
        screenshots(browser, "call")

        browser.find_element(By.CSS_SELECTOR, '#call-view tr.failure a[href^="#/inputs/"]').click()   # the input's
        wait.until(lambda d: "#/inputs/in-" in d.current_url)
        shown = wait.until(lambda d: d.find_element(By.ID, "input-view").text)
        assert "(attempt 1, retried) — ValueError: x is 3" in shown and "failure on ct-" in shown, shown
        assert "(attempt 2) — ValueError: x is 3" in shown and shown.count("Traceback (most recent call last)") == 2
        screenshots(browser, "input")

        dash_pages.app.deploy()
        dash_pages.app.deploy()   # version 2, live
        browser.get(f"{base}/#/apps/dash-pages")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#history tr[data-version="1"] button.rollback'))
        assert "live" in text('#history tr[data-version="2"]')
        screenshots(browser, "deployments")
        browser.find_element(By.CSS_SELECTOR, '#history tr[data-version="1"] button.rollback').click()
        wait.until(lambda d: "is now v3 (the functions of v1)" in text("#status"))
        wait.until(lambda d: "live" in text('#history tr[data-version="3"]'))

        # the objects page, with the deployed app's web endpoint and a sandbox running
        sb = leveret.Sandbox.create("sleep", "60", app=leveret.App.lookup("dash-sandbox", create_if_missing=True))
        try:
            browser.find_element(By.ID, "nav-objects").click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '#objects-dict tr[data-object="dash-dict"]'))
            assert browser.find_elements(By.CSS_SELECTOR, '#objects-volume tr[data-object="dash-volume"]')
            web = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#web tbody tr a[href^='http']"))
            assert "dash-pages" in text("#web tbody tr") and "greet" in text("#web tbody tr")
            assert urllib.request.urlopen(web.get_attribute("href") + "?name=page", timeout=30).read() == \
                b'{"hello":"page"}'   # the link is the endpoint's
            row = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'#sandboxes tr[data-sandbox="{sb.object_id}"]'))
            wait.until(lambda d: "running" in row.text)
            screenshots(browser, "objects")
        finally:
            sb.terminate()
