"""Load scenario: caseworkers browsing and editing, supervisors on dashboards, analysts on the API.

Run it with bench/load/run.py (one command: tokens, gunicorn, locust, the write check). By hand:

    BENCH_RUN_FILE=bench/load/.run.json .venv/bin/locust -f bench/load/locustfile.py \
        --host https://127.0.0.1:8011 --headless -u 24 -r 4 -t 2m --csv bench/results/load

The run file (written by run.py) names the run's marker, the demo password and the analysts' API tokens.
Every note a caseworker posts carries the marker and a sequence number; every successful write (note
POST answered 302 to the case page, case edit answered 302) is recorded, and when the test stops the
records go to BENCH_WRITES_FILE (default bench/results/load-writes.json) for bench/load/check_writes.py.

Users (demo accounts of `seed_demo`, each simulated user signs in as a different one):

- Caseworker (weight 6): the case list (plain, filtered), their cases' pages, a note through the web
  form (with its CSRF token), and an edit of one of their cases through the case form with its
  version (`loaded_version`), toggling one vulnerability.
- Supervisor (weight 2): the dashboard, the open cases of the organisation, a filtered list.
- Analyst (weight 2): statistics and case lists through the API with a token.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from html.parser import HTMLParser
from pathlib import Path

import urllib3
from locust import HttpUser, between, events, task

# run.py serves HTTPS with a self-signed certificate (the cookies are Secure with DEBUG off).
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

RUN = json.loads(Path(os.environ.get("BENCH_RUN_FILE", "bench/load/.run.json")).read_text())
WRITES_FILE = Path(os.environ.get("BENCH_WRITES_FILE", "bench/results/load-writes.json"))
REFERENCE = re.compile(r'href="/cases/([A-Z0-9]{4}-[A-Z0-9]{4})/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

_lock = threading.Lock()
_sequence = itertools.count(1)
_caseworkers = itertools.count(1)
_supervisors = itertools.cycle(["ngo-a-supervisor", "ngo-b-supervisor"])
_tokens = itertools.cycle(RUN["tokens"])
WRITES: dict = {"marker": RUN["marker"], "notes": [], "edits": {}, "failed_writes": []}
# Every request's response time by method, for the "p95 of pages and API reads" (GET) apart from
# the writes and sign-ins (POST), which locust's own table only mixes into "Aggregated".
TIMES_FILE = Path(os.environ.get("BENCH_TIMES_FILE", "bench/results/load-times.json"))
TIMES: dict[str, list[float]] = {"GET": [], "POST": []}


class FormValues(HTMLParser):
    """The values a browser would submit for the first POST form whose action ends with `action`
    (a form without an action posts to the page's own URL, `action`)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.done = False
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        target = attrs.get("action") or self.action
        if tag == "form" and not self.done and attrs.get("method") == "post" and target.endswith(self.action):
            self.inside = True
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values.append((name, attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.values.append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.values.append((self.select, attrs.get("value") or ""))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, ""

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            self.values.append((self.textarea, self.text.lstrip("\n")))
            self.textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


class SignedIn(HttpUser):
    abstract = True
    username = ""

    def sign_in(self) -> None:
        self.client.verify = False
        page = self.client.get("/accounts/login/", name="/accounts/login/ [GET]")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": RUN["password"], "csrfmiddlewaretoken": token},
            headers=self.referer("/accounts/login/"),
            name="/accounts/login/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {self.username} answered {response.status_code}")

    def referer(self, path: str) -> dict[str, str]:
        """Over HTTPS, Django's CSRF check wants the Referer (or Origin) of the site, as a browser sends."""
        return {"Referer": f"{self.host}{path}"}

    def page(self, path: str, name: str):
        """GET a signed-in page: a 200 that is really the sign-in page (session lost) is a failure."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code == 200 and "/accounts/login/" in response.url:
                response.failure("sent to the sign-in page")
            return response


class Caseworker(SignedIn):
    weight = 6
    wait_time = between(1, 3)

    def on_start(self) -> None:
        number = next(_caseworkers)
        organisation = "ngo-a" if number % 2 else "ngo-b"
        index = (number + 1) // 2
        self.username = f"{organisation}-caseworker" if index == 1 else f"{organisation}-caseworker{index}"
        self.sign_in()
        listing = self.page("/cases/?status=open", "/cases/?status=open")
        self.cases = sorted(set(REFERENCE.findall(listing.text))) or []

    def a_case(self) -> str | None:
        return random.choice(self.cases) if self.cases else None

    @task(4)
    def case_list(self) -> None:
        self.page("/cases/", "/cases/")

    @task(2)
    def case_list_filtered(self) -> None:
        sex = random.choice(["female", "male"])
        self.page(f"/cases/?status=open&sex={sex}&sort=-returned", "/cases/?status&sex&sort")

    @task(8)
    def case_page(self) -> None:
        if reference := self.a_case():
            self.page(f"/cases/{reference}/", "/cases/<ref>/")

    @task(2)
    def add_note(self) -> None:
        reference = self.a_case()
        if not reference:
            return
        page = self.page(f"/cases/{reference}/", "/cases/<ref>/")
        match = CSRF.search(page.text)
        if not match:
            return
        with _lock:
            number = next(_sequence)
        text = f"Office visit; the family is settling in. Load test {RUN['marker']} note {number}."
        data = {
            "csrfmiddlewaretoken": match.group(1),
            "contact_on": "2025-06-20",
            "contact_type": "office",
            "text": text,
        }
        with self.client.post(
            f"/cases/{reference}/notes/new/",
            data=data,
            headers=self.referer(f"/cases/{reference}/"),
            name="/cases/<ref>/notes/new/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302 and response.headers.get("Location", "").startswith(
                f"/cases/{reference}/"
            ):
                with _lock:
                    WRITES["notes"].append({"case": reference, "number": number})
            else:
                response.failure(f"note not saved: {response.status_code}")
                with _lock:
                    WRITES["failed_writes"].append({"note": number, "status": response.status_code})

    @task(1)
    def edit_case(self) -> None:
        reference = self.a_case()
        if not reference:
            return
        url = f"/cases/{reference}/edit/"
        page = self.page(url, "/cases/<ref>/edit/")
        form = FormValues(url)
        form.feed(page.text)
        values = form.values
        version = next((value for name, value in values if name == "loaded_version"), "")
        if not version:
            return
        had_stigma = ("vulnerabilities", "stigma") in values
        values = [item for item in values if item != ("vulnerabilities", "stigma")]
        if not had_stigma:
            values.append(("vulnerabilities", "stigma"))
        with self.client.post(
            url,
            data=values,
            headers=self.referer(url),
            name="/cases/<ref>/edit/ [POST]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                with _lock:
                    edit = WRITES["edits"].setdefault(reference, {"first_loaded_version": int(version)})
                    edit["saved"] = edit.get("saved", 0) + 1
            else:
                response.failure(f"edit not saved: {response.status_code}")
                with _lock:
                    WRITES["failed_writes"].append({"edit": reference, "status": response.status_code})


class Supervisor(SignedIn):
    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.username = next(_supervisors)
        self.sign_in()

    @task(4)
    def dashboard(self) -> None:
        self.page("/", "/ (dashboard)")

    @task(2)
    def open_cases(self) -> None:
        self.page("/cases/?status=open", "/cases/?status=open")

    @task(1)
    def unassigned(self) -> None:
        self.page("/cases/?status=intake&caseworker=null", "/cases/?status&caseworker")


class Analyst(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.verify = False
        self.headers = {"Authorization": f"Token {next(_tokens)}"}

    @task(3)
    def stats_two_dimensions(self) -> None:
        self.client.get(
            "/api/v1/stats/cases/?group_by=return_country,sex",
            headers=self.headers,
            name="/api/v1/stats/cases/?group_by=return_country,sex",
        )

    @task(2)
    def stats_filtered(self) -> None:
        country = random.choice(["KZ", "UZ", "TJ", "KG"])
        self.client.get(
            f"/api/v1/stats/cases/?group_by=age_band,status&country={country}",
            headers=self.headers,
            name="/api/v1/stats/cases/?group_by=age_band,status&country",
        )

    @task(1)
    def stats_referrals(self) -> None:
        self.client.get(
            "/api/v1/stats/referrals/?group_by=service_type,status",
            headers=self.headers,
            name="/api/v1/stats/referrals/?group_by=service_type,status",
        )

    @task(2)
    def cases(self) -> None:
        country = random.choice(["KZ", "UZ", "TJ", "KG"])
        sex = random.choice(["female", "male"])
        self.client.get(
            f"/api/v1/cases/?country={country}&sex={sex}",
            headers=self.headers,
            name="/api/v1/cases/?country&sex",
        )


@events.request.add_listener
def remember_the_time(request_type, response_time, **_kwargs) -> None:
    with _lock:
        TIMES.setdefault(request_type, []).append(response_time)


@events.test_stop.add_listener
def write_the_writes(**_kwargs) -> None:
    with _lock:
        WRITES_FILE.parent.mkdir(parents=True, exist_ok=True)
        WRITES_FILE.write_text(json.dumps(WRITES, indent=2) + "\n", encoding="utf-8")
        TIMES_FILE.write_text(json.dumps(TIMES) + "\n", encoding="utf-8")
