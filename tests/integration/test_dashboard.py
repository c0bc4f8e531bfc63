"""The web dashboard in a real headless Chromium (driven by Selenium) against a running cluster:
it logs in with the token, shows a function's container and its log line as they appear, an input's
timeline, and the queue chart; the page saves a screenshot. Its log stream is also read as a script
would, without a browser."""

import json
import urllib.error
import urllib.request

import pytest

from apps import basic
from apps import orchestration as o
from leveret.testing import Cluster


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as err:
        err.close()
        return err.code


def test_the_dashboard_needs_the_token_and_its_login_link_works_once(tmp_path):
    import http.cookiejar

    from leveret.cli.dashboard import dashboard_url

    with Cluster(tmp_path) as cluster:
        assert status_of(cluster.server.http_url + "/api/apps") == 401
        assert status_of(cluster.server.http_url + "/") == 401
        assert status_of(cluster.server.http_url + "/login?code=wrong") == 401
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar := http.cookiejar.CookieJar()))
        with browser.open(f"{cluster.server.http_url}/login?token={cluster.token}", timeout=10) as page:
            assert 'name="token"' in page.read().decode() and not list(jar)   # the form: never a token in a URL
        link = dashboard_url()   # as `leveret dashboard` prints it: the server says where, and a code
        assert link.startswith(cluster.server.http_url + "/login?code=") and cluster.token not in link
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(link, timeout=10) as page:   # logs in: the cookie holds the token from now on
            assert page.status == 200
        with browser.open(cluster.server.http_url + "/api/apps", timeout=10) as apps:
            assert apps.status == 200
        assert status_of(link) == 401   # used


def events(stream):
    """The Server-Sent Events of a response as they come: (event name, its JSON data)."""
    name, data = "message", []
    for raw in stream:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            data.append(line[len("data: "):])


def test_lines_that_come_while_the_log_stream_is_followed_reach_it(tmp_path):
    with Cluster(tmp_path) as cluster:
        with basic.app.run(show_logs=False):
            request = urllib.request.Request(f"{cluster.server.http_url}/api/logs/stream?app={basic.app.app_id}",
                                             headers={"Authorization": f"Bearer {cluster.token}"})
            with urllib.request.urlopen(request, timeout=30) as stream:
                got = events(stream)
                while next(got)[0] != "live":   # the stored lines first
                    pass
                assert basic.chatty.remote("dash-9") == "dash-9"
                seen: dict[str, dict] = {}
                while not {"out dash-9", "err dash-9"} <= seen.keys():   # live: as the worker sends them
                    name, lines = next(got)
                    assert name == "message"
                    seen.update((line["text"], line) for line in lines)
                assert (seen["out dash-9"]["source"], seen["err dash-9"]["source"]) == ("stdout", "stderr")
                assert seen["out dash-9"]["app_id"] == basic.app.app_id
                seqs = [line["seq"] for line in seen.values()]
                assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_a_container_and_its_log_line_appear_in_the_dashboard(tmp_path, browser):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # The containers' table is drawn again each second: an element read from it may be gone by the
    # next step, so it is read inside waits, which look again when it is.
    wait = WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,))
    from leveret.cli.dashboard import dashboard_url

    with Cluster(tmp_path, worker_lease_s=1.5):   # heartbeats, with containers' use, every 0.5 s
        browser.get(dashboard_url())   # (the login link `leveret dashboard` prints)
        wait.until(ec.presence_of_element_located((By.ID, "apps")))
        with o.watched.run(show_logs=False):
            app_id = o.watched.app_id
            call = o.busy.spawn("marker-7f3", 4.0)
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f'li[data-app="{app_id}"]').click() or True)
            shown = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#containers tbody tr[data-container]")
                               .get_attribute("data-container"))
            assert shown.startswith("ct-")
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#containers tbody tr td.memory").text.endswith("MiB"))
            line = wait.until(ec.presence_of_element_located(
                (By.XPATH, '//pre[@id="logs"]/div[contains(., "working on marker-7f3")]')))
            assert "[busy ct-" in line.text
            chart = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-function="busy"] [data-chart="busy"]'))
            assert "containers" in chart.find_element(By.CSS_SELECTOR, ".u-legend").text   # its legend, and axes
            assert len(chart.find_elements(By.CSS_SELECTOR, ".u-axis")) == 2
            line.find_element(By.CSS_SELECTOR, "span.input").click()   # the input's timeline
            timeline = wait.until(ec.visibility_of_element_located((By.ID, "timeline")))
            assert "queued at" in timeline.text and "busy" in timeline.text
            assert call.get(timeout=30) == "marker-7f3"
            wait.until(lambda d: "success on ct-" in d.find_element(By.ID, "timeline").text or
                       (line.find_element(By.CSS_SELECTOR, "span.input").click() and False))
            shot = tmp_path / "dashboard.png"
            assert browser.save_screenshot(str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_a_browser_is_sent_to_the_login_form_and_back_and_a_wrong_token_is_refused(tmp_path):
    import http.cookiejar
    import urllib.parse

    with Cluster(tmp_path) as cluster:
        base = cluster.server.http_url
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        asked = urllib.request.Request(base + "/api/apps", headers={"Accept": "text/html"})
        assert status_of(base + "/api/apps") == 401   # an API call is not sent anywhere
        page_request = urllib.request.Request(base + "/token-flow/tf-x?a=1", headers={"Accept": "text/html"})
        with browser.open(page_request, timeout=10) as page:   # a page: to the form, remembering where it was
            assert page.url == base + "/login?" + urllib.parse.urlencode({"next": "/token-flow/tf-x?a=1"})
        wrong = urllib.parse.urlencode({"token": "lvu_nope", "next": "/"}).encode()
        with pytest.raises(urllib.error.HTTPError) as refused:
            browser.open(base + "/login", data=wrong, timeout=10)
        with refused.value:
            assert refused.value.code == 401 and "not one of this server" in refused.value.read().decode()
        right = urllib.parse.urlencode({"token": cluster.token, "next": "//elsewhere.example/"}).encode()
        with browser.open(base + "/login", data=right, timeout=10) as page:
            assert page.url == base + "/"   # logged in, and only ever sent to a page of its own
        with browser.open(asked, timeout=10) as apps:
            assert apps.status == 200


def test_token_new_is_approved_in_the_dashboard_and_kept_as_a_profile(tmp_path):
    import http.cookiejar
    import os
    import re
    import subprocess
    import sys
    import urllib.parse

    config = tmp_path / "leveret.toml"
    with Cluster(tmp_path / "c") as cluster:
        env = {**os.environ, "LEVERET_CONFIG_PATH": str(config)}
        env.pop("LEVERET_SERVER_URL", None)
        env.pop("LEVERET_TOKEN", None)
        login = subprocess.Popen([sys.executable, "-m", "leveret.cli", "token", "new", "--server", cluster.url,
                                  "--name", "ada@laptop", "--no-browser"], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            said = login.stdout.readline() + login.stdout.readline()
            code, url = re.search(r"the code (\S+)\):\n\s+(\S+)", said).groups()
            assert url.startswith(cluster.server.http_url + "/token-flow/tf-"), said
            assert status_of(url) == 401   # the approval page is for someone logged in
            browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            browser.open(cluster.server.http_url + "/login",
                         data=urllib.parse.urlencode({"token": cluster.token}).encode(), timeout=10).close()
            with browser.open(url, timeout=10) as page:
                shown = page.read().decode()
            assert "ada@laptop" in shown and code in shown and 'value="read-only"' in shown
            with browser.open(url, data=urllib.parse.urlencode({"scope": "run"}).encode(), timeout=10) as page:
                assert "is made" in page.read().decode()
            out, err = login.communicate(timeout=30)
        finally:
            login.kill()
        assert login.returncode == 0, err
        assert "approved: a run token ut-" in out and "kept in profile default" in out
        kept = config.read_text()
        assert cluster.url in kept and 'token = "lvu_' in kept and cluster.token not in kept
        listed = subprocess.run([sys.executable, "-m", "leveret.cli", "token", "list"], env=env, capture_output=True,
                                text=True, timeout=60)   # with the new profile: a run token may not list tokens
        assert listed.returncode == 1 and "needs an admin token" in listed.stderr, listed.stderr
        apps = subprocess.run([sys.executable, "-m", "leveret.cli", "app", "list"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert apps.returncode == 0, apps.stderr
        with pytest.raises(urllib.error.HTTPError) as again:   # the request is used up
            browser.open(url, data=urllib.parse.urlencode({"scope": "run"}).encode(), timeout=10)
        with again.value:
            assert again.value.code == 400
