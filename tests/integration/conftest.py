"""Fixtures that start the real `plinth` binary for integration tests.

Each server gets a fresh temporary PLINTH_HOME and a free port. Tests that
take the `server` fixture run once per storage backend: SQLite always, and
PostgreSQL when PLINTH_TEST_POSTGRES_URL names a running server
(scripts/services/postgres start; export PLINTH_TEST_POSTGRES_URL=$(scripts/services/postgres url)).
With PLINTH_REQUIRE_SERVICES=1 (set by .ci/run) a missing service fails
instead of skipping.
"""
import os
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLINTH_BIN = os.environ.get("PLINTH_BIN", os.path.join(ROOT, "build", "plinth"))
REQUIRE_SERVICES = os.environ.get("PLINTH_REQUIRE_SERVICES") == "1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_service(message):
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PLINTH_REQUIRE_SERVICES=1)")
    pytest.skip(message)


class Server:
    """A running `plinth server` process and a requests session to it."""

    def __init__(self, home, db=None, extra_args=(), env=None):
        self.home = home
        self.db = db
        self.extra_args = list(extra_args)
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.http = requests.Session()
        self.log_path = os.path.join(home, "server.log")

    def start(self, timeout=30):
        args = [PLINTH_BIN, "server", "--home", self.home, "--port", str(self.port)]
        if self.db:
            args += ["--db", self.db]
        args += self.extra_args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plinth server exited with {self.proc.returncode}: {self.read_log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError("plinth server did not become healthy: " + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self, sig=None):
        if self.proc and self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.http.close()
        self.http = requests.Session()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.http.close()
        self.http = requests.Session()

    # --- HTTP helpers ---------------------------------------------------
    def call(self, method, path, json=None, params=None, headers=None, data=None, token=None,
             stream=False):
        """`stream`: return once the head is read (the body is read by the caller)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        return self.http.request(method, self.url + path, json=json, params=params,
                                 headers=h, data=data, timeout=60, stream=stream)

    def mlflow(self, method, endpoint, body=None, token=None, expect=200):
        path = "/api/2.0/mlflow/" + endpoint
        if method == "GET":
            r = self.call("GET", path, params=body, token=token)
        else:
            r = self.call(method, path, json=body, token=token)
        if expect is not None:
            assert r.status_code == expect, f"{method} {endpoint}: {r.status_code} {r.text}"
        return r.json() if r.content else {}

    def paginate(self, method, endpoint, body, items_key):
        """Follows next_page_token to the end; returns every page's items in order."""
        items, token = [], None
        while True:
            page_body = dict(body, page_token=token) if token else dict(body)
            page = self.mlflow(method, endpoint, page_body)
            items += page.get(items_key, [])
            token = page.get("next_page_token")
            if not token:
                return items

    def new_experiment(self, prefix="exp", token=None):
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        return self.mlflow("POST", "experiments/create", {"name": name}, token=token)["experiment_id"]

    def new_run(self, experiment_id=None, token=None, **fields):
        if experiment_id is None:
            experiment_id = self.new_experiment(token=token)
        body = {"experiment_id": experiment_id, "start_time": int(time.time() * 1000)}
        body.update(fields)
        return self.mlflow("POST", "runs/create", body, token=token)["run"]


def postgres_database():
    """Creates a fresh database on the test PostgreSQL server; returns its URL."""
    base = os.environ.get("PLINTH_TEST_POSTGRES_URL")
    if not base:
        missing_service("PostgreSQL not configured: run scripts/services/postgres start and "
                        "export PLINTH_TEST_POSTGRES_URL=$(scripts/services/postgres url)")
    name = "plinth_it_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", base, "-v", "ON_ERROR_STOP=1", "-q", "-c", f"CREATE DATABASE {name}"],
                   check=True, capture_output=True)
    return base.rsplit("/", 1)[0] + "/" + name


BACKENDS = ["sqlite", "postgres"]


def two_team_server(prefix, extra_args=("--simulated-gpus", "1x2xH100-80GB")):
    """A server that requires tokens, with teams a and b. Returns the server,
    the token secrets ("admin", "a-member", "a-viewer", "b-member",
    "b-viewer") and the token ids under the same names."""
    server = Server(tempfile.mkdtemp(prefix=prefix), extra_args=list(extra_args)).start()
    admin = server.call("POST", "/api/v1/tokens",
                        json={"team": "default", "role": "admin"}).json()
    tokens, token_ids = {"admin": admin["secret"]}, {"admin": admin["token"]["id"]}
    for team in ("a", "b"):
        r = server.call("POST", "/api/v1/teams", json={"name": team}, token=tokens["admin"])
        assert r.ok, r.text
        for role in ("member", "viewer"):
            r = server.call("POST", "/api/v1/tokens", json={"team": team, "role": role},
                            token=tokens["admin"])
            assert r.status_code == 200, r.text
            tokens[f"{team}-{role}"] = r.json()["secret"]
            token_ids[f"{team}-{role}"] = r.json()["token"]["id"]
    return server, tokens, token_ids


def make_server(backend, extra_args=()):
    home = tempfile.mkdtemp(prefix="plinth-it-")
    db = postgres_database() if backend == "postgres" else None
    return Server(home, db=db, extra_args=extra_args)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request):
    """One server per test module and backend, shared by the module's tests."""
    s = make_server(request.param).start()
    yield s
    s.stop()


@pytest.fixture
def fresh_server(request):
    """A server of its own on SQLite, for tests that change global state (tokens)."""
    servers = []

    def start(backend="sqlite", extra_args=()):
        s = make_server(backend, extra_args).start()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()
