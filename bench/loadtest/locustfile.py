"""SLRT load test (issue 12, point 7): staff of one district at work, for Locust 2.47 headless.

Run by `make loadtest` (bench/loadtest/run.py), which builds the district, creates the accounts
(bench/loadtest/setup.py) and hands them over in LOADTEST_ACCOUNTS_FILE, with a sample of NIKs
and names from the registry file in LOADTEST_PEOPLE_FILE (what the desk types from a KK card).
Every id a user acts on (people, cases, needs, agency services, referrals, versions, the
facilitator's desa) comes from an earlier answer of the server.

Users and what each does once per think time (5-15 s), so that over all users the mix is
about 40% searches and NIK lookups, 20% lists/case pages/home pages, 15% intakes, 15% referral
transitions and Mitra answers, 10% ODK submissions:

    role (users of 100)    tasks (weights)
    front office (60)      search 40 (API NIK 15, API name 10, web live search 15),
                           browse 10 (home, case list, case page), intake 10 (API)
    back office (10)       intake 5 (API), referral draft 5
    manajer (10)           browse 5 (home, referral list), send a draft 5
    Mitra (5)              answer 5 (accept, start, done: one step per task)
    facilitator (15)       ODK submission 10 (HEAD + POST /submission, Digest), form list 5
                           (Collect refreshing its forms: GET /formList)

Hand-over between users (a case waiting for a referral, a draft waiting to be sent, a sent
referral waiting for its agency) goes through in-process queues holding ids from the answers,
so no two users ever act on the same referral (no 409 by construction of the test).
"""

from __future__ import annotations

import collections
import copy
import csv
import datetime as dt
import io
import itertools
import json
import os
import random
import re
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - parses the server's own form, not user input

from locust import HttpUser, between, events, task
from requests.auth import HTTPDigestAuth

THINK = between(5, 15)
# What each task is in the mix (tests/test_loadtest_mix.py checks the weighted shares).
MIX = {
    "nik_lookup": "search", "name_search": "search", "web_search": "search",
    "home_page": "browse", "cases": "browse", "referral_list": "browse", "form_list": "browse",
    "record_complaint": "intake",
    "draft_referral": "referral", "send_draft": "referral", "answer": "referral",
    "submit": "odk",
}
TARGET_MIX = {"search": 40, "browse": 20, "intake": 15, "referral": 15, "odk": 10}
_config: dict = {}
_counters: dict[str, itertools.count] = collections.defaultdict(itertools.count)

# Hand-over queues (ids from answers). Bounded: the oldest is dropped when nobody takes them.
CASES_FOR_REFERRAL: collections.deque = collections.deque(maxlen=500)  # (case_id, need_id, sector)
DRAFTS: collections.deque = collections.deque(maxlen=500)  # referral ids
AT_AGENCY: dict[str, collections.deque] = collections.defaultdict(lambda: collections.deque(maxlen=500))

CONSENT = {"given": True, "purpose": "Layanan rujukan dan bantuan sosial", "share_with_agencies": True}
SECTORS = ("kesehatan", "sosial_ekonomi", "pangan")
CASE_LINK = re.compile(r'href="/layanan/(\d+)/"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def config() -> dict:
    if not _config:
        with open(os.environ["LOADTEST_ACCOUNTS_FILE"], encoding="utf-8") as fh:
            _config.update(json.load(fh))
        with open(os.environ["LOADTEST_PEOPLE_FILE"], encoding="utf-8") as fh:
            _config["people"] = json.load(fh)["people"]
    return _config


def account(role: str) -> tuple[dict, str]:
    """The next account of a role, round-robin (more Locust users than accounts share them)."""
    c = config()
    group = c["accounts"][role]
    return group[next(_counters[role]) % len(group)], c["password"]


def someone() -> dict:
    return random.choice(config()["people"])  # noqa: S311 - load generation, not security


class Staff(HttpUser):
    """A signed-in staff member: a web session (cookies, CSRF) and an API token."""

    abstract = True
    wait_time = THINK
    role = ""

    def on_start(self):
        self.account, self.password = account(self.role)
        self.username = self.account["username"]
        self.web_sign_in()
        self.api_sign_in()

    # --- sign-in ----------------------------------------------------------------------------

    def web_sign_in(self):
        page = self.client.get("/akun/masuk/", name="GET /akun/masuk/ (sign-in page)")
        token = CSRF_FIELD.search(page.text)
        with self.client.post(
            "/akun/masuk/", name="POST /akun/masuk/ (sign in)", allow_redirects=False, catch_response=True,
            data={"username": self.username, "password": self.password,
                  "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": self.host + "/akun/masuk/"},
        ) as r:
            if r.status_code != 302:
                r.failure(f"sign-in answered {r.status_code}")

    def api_sign_in(self):
        with self.client.post("/api/v1/auth/token", name="POST /api/v1/auth/token",
                              json={"username": self.username, "password": self.password},
                              catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"token answered {r.status_code}")
                self.api = {}
                return
            self.api = {"Authorization": f"Bearer {r.json()['token']}"}

    # --- helpers ----------------------------------------------------------------------------

    def api_get(self, path, name, **params):
        with self.client.get(path, params=params or None, headers=self.api, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return None
            return r.json()

    def api_post(self, path, name, body, expect=200):
        with self.client.post(path, json=body, headers=self.api, name=name, catch_response=True) as r:
            if r.status_code != expect:
                r.failure(f"{r.status_code} {r.text[:200]}")
                return None
            return r.json()

    def page(self, path, name):
        with self.client.get(path, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return ""
            return r.text

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    # --- shared tasks -----------------------------------------------------------------------

    def home(self):
        self.page("/", "GET / (home)")

    def case_list_and_page(self):
        html = self.page("/layanan/", "GET /layanan/ (case list)")
        ids = CASE_LINK.findall(html)
        if ids:
            self.page(f"/layanan/{random.choice(ids)}/", "GET /layanan/<id>/ (case page)")  # noqa: S311

    def intake(self):
        """Search the resident by NIK at the desk, then record the complaint (API)."""
        person = someone()
        found = self.api_get("/api/v1/cases/intake-search", "GET /api/v1/cases/intake-search?nik=",
                             nik=person["nik"])
        if not found or not found["items"]:
            return
        sector = random.choice(SECTORS)  # noqa: S311
        created = self.api_post("/api/v1/cases", "POST /api/v1/cases (intake)", {
            "person_id": found["items"][0]["id"], "search_token": found["search_token"],
            "complaint_type": "pengaduan", "channel": "sekretariat", "urgency": "biasa",
            "summary": "Uji beban: permohonan bantuan",
            "needs": [{"sector": sector, "description": "Uji beban: kebutuhan layanan"}],
            "consent": CONSENT,
        }, expect=201)
        if created:
            CASES_FOR_REFERRAL.append((created["id"], created["needs"][0]["id"], sector))


class FrontOffice(Staff):
    weight = 60
    role = "front_office"

    @task(15)
    def nik_lookup(self):
        self.api_get("/api/v1/people", "GET /api/v1/people?nik=", nik=someone()["nik"])

    @task(10)
    def name_search(self):
        self.api_get("/api/v1/people", "GET /api/v1/people?q=&region=", q=someone()["nama"],
                     region=config()["region"])

    @task(15)
    def web_search(self):
        """Cari warga as the page does while typing: an HTMX POST answered with the results."""
        with self.client.post(
            "/registri/cari/", name="POST /registri/cari/ (web search)", catch_response=True,
            data={"q": someone()["nama"], "csrfmiddlewaretoken": self.csrf()},
            headers={"HX-Request": "true", "HX-Target": "results", "X-CSRFToken": self.csrf(),
                     "Referer": self.host + "/registri/cari/"},
        ) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")

    @task(4)
    def home_page(self):
        self.home()

    @task(6)
    def cases(self):
        self.case_list_and_page()

    @task(10)
    def record_complaint(self):
        self.intake()


class BackOffice(Staff):
    weight = 10
    role = "back_office"
    services: dict | None = None

    @task(5)
    def record_complaint(self):
        self.intake()

    @task(5)
    def draft_referral(self):
        """A case from the desk, a service of its need's sector from the directory, a draft."""
        if self.services is None:
            agencies = self.api_get("/api/v1/agencies", "GET /api/v1/agencies", region=config()["region"]) or []
            wanted = {a["agency"] for a in config()["accounts"]["mitra"]}
            self.services = collections.defaultdict(list)
            for agency in agencies:
                if agency["code"] in wanted:
                    for s in agency["services"]:
                        self.services[s["sector"]].append((s["id"], agency["code"]))
        if not CASES_FOR_REFERRAL:
            self.case_list_and_page()  # nothing waiting: the back office reads its queue instead
            return
        case_id, need_id, sector = CASES_FOR_REFERRAL.popleft()
        self.api_get(f"/api/v1/cases/{case_id}", "GET /api/v1/cases/<id>")
        choices = self.services.get(sector)
        if not choices:
            return
        service_id, agency = random.choice(choices)  # noqa: S311
        draft = self.api_post("/api/v1/referrals", "POST /api/v1/referrals (draft)",
                              {"need_id": need_id, "service_id": service_id, "note": "Uji beban"}, expect=201)
        if draft:
            DRAFTS.append(draft["id"])


class Manajer(Staff):
    weight = 10
    role = "manajer"

    @task(3)
    def home_page(self):
        self.home()

    @task(2)
    def referral_list(self):
        self.page("/rujukan/", "GET /rujukan/ (referral list)")

    @task(5)
    def send_draft(self):
        if not DRAFTS:
            self.api_get("/api/v1/referrals", "GET /api/v1/referrals?status=draf", status="draf", limit=20)
            return
        referral_id = DRAFTS.popleft()
        seen = self.api_get(f"/api/v1/referrals/{referral_id}", "GET /api/v1/referrals/<id>")
        if not seen:
            return
        sent = self.api_post(f"/api/v1/referrals/{referral_id}/transitions",
                             "POST /api/v1/referrals/<id>/transitions (send)",
                             {"action": "send", "version": seen["version"]})
        if sent:
            AT_AGENCY[sent["agency_code"]].append(referral_id)


class Mitra(Staff):
    weight = 5
    role = "mitra"
    current: dict | None = None

    def on_start(self):
        super().on_start()
        self.agency = self.account["agency"]

    @task
    def answer(self):
        """One step of the agency's answer per task: accept, start, done (ids from its inbox)."""
        if self.current is None:
            inbox = self.api_get("/api/v1/referrals", "GET /api/v1/referrals (Mitra inbox)", status="terkirim",
                                 limit=20)
            queue = AT_AGENCY[self.agency]
            if not queue:
                return
            referral_id = queue.popleft()
            item = next((r for r in (inbox or {}).get("items", []) if r["id"] == referral_id), None)
            if item is None:
                item = self.api_get(f"/api/v1/referrals/{referral_id}", "GET /api/v1/referrals/<id>")
            if item is None:
                return
            self.current = {"id": referral_id, "version": item["version"], "step": "accept"}
        cur = self.current
        body = {"action": cur["step"], "version": cur["version"]}
        if cur["step"] == "done":
            body.update(service_given="Uji beban: layanan diberikan", outcome="Tertangani",
                        service_date=dt.date.today().isoformat())
        step = self.api_post(f"/api/v1/referrals/{cur['id']}/transitions",
                             f"POST /api/v1/referrals/<id>/transitions ({cur['step']})", body)
        if step is None or cur["step"] == "done":
            self.current = None
            return
        cur.update(version=step["version"], step={"accept": "start", "start": "done"}[cur["step"]])


class Facilitator(HttpUser):
    """A facilitator's ODK Collect: gets its forms once, then sends complaints from the field."""

    weight = 15
    wait_time = THINK
    FORM = "slrt_pengaduan"

    def on_start(self):
        acct, password = account("fasilitator")
        self.client.auth = HTTPDigestAuth(acct["username"], password)
        self.client.headers["X-OpenRosa-Version"] = "1.0"
        self.template, self.desas = None, []
        forms = self.client.get("/formList", name="GET /formList")
        ns = "{http://openrosa.org/xforms/xformsList}"
        for xform in ET.fromstring(forms.content).iter(f"{ns}xform"):  # noqa: S314 - the server's own list
            if xform.findtext(f"{ns}formID") != self.FORM:
                continue
            form = self.client.get(xform.findtext(f"{ns}downloadUrl"), name="GET /forms/<id>/form.xml")
            self.template = self._instance_template(form.content)
            manifest = self.client.get(xform.findtext(f"{ns}manifestUrl"), name="GET /forms/<id>/manifest")
            mns = "{http://openrosa.org/xforms/xformsManifest}"
            for media in ET.fromstring(manifest.content).iter(f"{mns}mediaFile"):  # noqa: S314
                url = media.findtext(f"{mns}downloadUrl")
                data = self.client.get(url, name="GET /forms/<id>/media/<file>")
                if media.findtext(f"{mns}filename", "").startswith("desa"):
                    self.desas = _csv_names(data.text)

    @staticmethod
    def _instance_template(xml: bytes):
        doc = ET.fromstring(xml)  # noqa: S314 - the server's own form
        xf = "{http://www.w3.org/2002/xforms}"
        root = copy.deepcopy(doc.find(f"{{http://www.w3.org/1999/xhtml}}head/{xf}model/{xf}instance")[0])
        for node in root.iter():
            node.tag = node.tag.rsplit("}", 1)[-1]
            for key in [k for k in node.attrib if k.startswith("{")]:
                del node.attrib[key]
        return root

    @task(10)
    def submit(self):
        if self.template is None or not self.desas:
            return
        person = someone()
        values = {"persetujuan": "ya", "boleh_dibagikan": "ya", "tujuan_persetujuan": "Layanan rujukan",
                  "kode_wilayah": random.choice(self.desas), "jenis_keluhan": "pengaduan",  # noqa: S311
                  "urgensi": "biasa", "sektor": random.choice(SECTORS), "nama": person["nama"],  # noqa: S311
                  "uraian": "Uji beban: permohonan dari lapangan"}
        root = copy.deepcopy(self.template)
        for el in root.iter():
            if len(el) == 0 and el.tag in values:
                el.text = values[el.tag]
        root.find("meta/instanceID").text = f"uuid:{uuid.uuid4()}"
        body = b"<?xml version='1.0' encoding='UTF-8' ?>" + ET.tostring(root)
        # Collect asks first (HEAD: the challenge and the size limit), then posts the instance.
        self.client.head("/submission", name="HEAD /submission")
        with self.client.post("/submission", name="POST /submission (ODK)", catch_response=True,
                              files={"xml_submission_file": ("submission.xml", body, "text/xml")}) as r:
            if r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:300]}")

    @task(5)
    def form_list(self):
        self.client.get("/formList", name="GET /formList")


def _csv_names(text: str) -> list[str]:
    """The `name` column of a Collect choices CSV (the desa codes the form offers)."""
    return [row["name"] for row in csv.DictReader(io.StringIO(text)) if row.get("name")]


@events.test_start.add_listener
def _check_config(environment, **_kw):
    config()


_env: list = []


@events.init.add_listener
def _keep_environment(environment, **_kw):
    _env.append(environment)


@events.spawning_complete.add_listener
def _spawned(user_count, **_kw):
    """The figures start LOADTEST_SETTLE_S (15) seconds after the last user was spawned, once its
    sign-in and Collect's form download are over: the statistics are reset then, and run.py
    starts its CPU window when the marker file appears."""
    import gevent

    def steady():
        _env[0].runner.stats.reset_all()
        if os.environ.get("LOADTEST_SPAWNED_FILE"):
            with open(os.environ["LOADTEST_SPAWNED_FILE"], "w", encoding="utf-8") as fh:
                fh.write(str(user_count))

    gevent.spawn_later(float(os.environ.get("LOADTEST_SETTLE_S") or 15), steady)
