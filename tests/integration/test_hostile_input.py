"""Hostile input at the edge: each case reproduces what a probe with an
ordinary token sent, and expects a clear 4xx (never a crash, a hang, SQL
text or a server path in the answer)."""
import json
import os
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import PLINTH_BIN, REQUIRE_SERVICES, Server, free_port


def post_raw(server, path, body):
    return server.call("POST", path, data=body, headers={"Content-Type": "application/json"})


def assert_alive(server):
    assert server.call("GET", "/healthz").status_code == 200


def assert_clean_message(message):
    for leak in ("SELECT", "INSERT", " FROM ", "sqlite", "/tmp/", "/artifacts/"):
        assert leak not in message, message


def deep(n):
    return "[" * n + "]" * n


@pytest.mark.parametrize("path", ["/api/2.0/mlflow/experiments/search",
                                  "/api/2.0/mlflow/runs/search",
                                  "/api/2.0/mlflow/runs/log-batch",
                                  "/api/2.0/mlflow/registered-models/create",
                                  "/api/v1/jobs"])
def test_nesting_50000_deep_is_400_not_a_crash(server, path):
    r = post_raw(server, path, '{"filter": ' + deep(50000) + "}")
    assert r.status_code == 400, r.text
    assert "nests deeper than 64 levels" in r.text
    assert_alive(server)


def test_nesting_at_the_limit_is_parsed(server):
    # 63 levels inside the top-level object: parsed, then refused as a wrong type.
    r = post_raw(server, "/api/2.0/mlflow/experiments/search", '{"filter": ' + deep(63) + "}")
    assert r.status_code == 400
    assert "nests deeper" not in r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_integers_beyond_int64_are_refused(server):
    run_id = server.new_run()["info"]["run_id"]
    body = '{"run_id": "%s", "key": "m", "value": 1, "timestamp": 1, "step": 9223372036854775808}' % run_id
    r = post_raw(server, "/api/2.0/mlflow/runs/log-metric", body)
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and "step" in r.json()["message"]
    batch = ('{"run_id": "%s", "metrics": [{"key": "m", "value": 1, "timestamp": 1, '
             '"step": 9223372036854775808}]}' % run_id)
    assert post_raw(server, "/api/2.0/mlflow/runs/log-batch", batch).status_code == 400
    hist = server.mlflow("GET", "metrics/get-history", {"run_id": run_id, "metric_key": "m"})
    assert hist.get("metrics", []) == []


def test_invalid_utf8_in_a_query_string_post_is_refused(server):
    r = server.call("POST", "/api/2.0/mlflow/experiments/create?name=bad%ff%fename")
    assert r.status_code == 400, r.text
    assert "UTF-8" in r.json()["message"]
    found = server.mlflow("GET", "experiments/search", {"max_results": 1000})
    assert not any("bad" in e["name"] and "name" in e["name"] for e in found.get("experiments", []))


def test_too_many_keys_in_one_search_is_400_naming_the_limit(server):
    exp = server.new_experiment()
    clauses = " and ".join(f"metrics.m{i} > 0" for i in range(70))
    r = server.call("POST", "/api/2.0/mlflow/runs/search",
                    json={"experiment_ids": [exp], "filter": clauses})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "at most 40 distinct" in r.json()["message"]
    assert_clean_message(r.json()["message"])
    # Too many clauses on one key (expression depth) is refused by the grammar.
    clauses = " and ".join(f"metrics.m > {i}" for i in range(1200))
    r = server.call("POST", "/api/2.0/mlflow/runs/search",
                    json={"experiment_ids": [exp], "filter": clauses})
    assert r.status_code == 400 and "at most 100 clauses" in r.json()["message"]
    # And an IN list past its limit.
    ids = ", ".join(f"'{i}'" for i in range(1500))
    r = server.call("POST", "/api/2.0/mlflow/runs/search",
                    json={"experiment_ids": [exp], "filter": f"attributes.run_id IN ({ids})"})
    assert r.status_code == 400 and "at most 1000 values" in r.json()["message"]


def test_echoed_values_are_cut_at_200_characters(server):
    huge = "x" * 30000
    r = server.call("POST", "/api/2.0/mlflow/experiments/create", json={"name": [huge]})
    assert r.status_code == 400
    assert len(r.json()["message"]) < 600, len(r.json()["message"])
    nested = {"name": {"a": [[[[huge]]]]}}
    r = server.call("POST", "/api/2.0/mlflow/experiments/create", json=nested)
    assert r.status_code == 400 and len(r.json()["message"]) < 600


def test_nul_in_a_job_is_refused_at_submit(server):
    for spec, field in [({"command": ["/bin/echo", "a\u0000b"]}, "command[1]"),
                        ({"command": ["/bin/true"], "env": {"A": "x\u0000y"}}, "env.A"),
                        ({"command": ["/bin/true"], "args": ["\u0000"]}, "args[0]")]:
        r = server.call("POST", "/api/v1/jobs", json=spec)
        assert r.status_code == 400, r.text
        assert field in r.json()["error"]["message"] and "NUL" in r.json()["error"]["message"]


def test_a_job_spec_with_a_key_given_twice_is_refused(server):
    r = post_raw(server, "/api/v1/jobs", '{"command": ["/bin/true"], "name": "a", "name": "b"}')
    assert r.status_code == 400, r.text
    assert "duplicate key 'name'" in r.json()["error"]["message"]


def test_yaml_bombs_are_refused_by_the_cli(server, tmp_path):
    doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 10):
        doc += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n"
    spec = tmp_path / "laughs.yaml"
    spec.write_text("command: [/bin/true]\n" + doc)
    env = dict(os.environ, PLINTH_URL=server.url)
    r = subprocess.run([PLINTH_BIN, "jobs", "submit", str(spec)], capture_output=True, text=True,
                       env=env, timeout=60)
    assert r.returncode != 0
    assert "expands to more than 1000000 values" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


# --- the HTTP layer -----------------------------------------------------

def raw_exchange(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
    return b"".join(chunks)


@pytest.mark.parametrize("request_bytes,status", [
    (b"POST /api/2.0/mlflow/runs/search HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n", 400),
    (b"POST /api/2.0/mlflow/runs/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\n{}\r\n0\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\nHost: x\n\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n", 431),
])
def test_malformed_framing_gets_a_status_line(server, request_bytes, status):
    reply = raw_exchange(server.port, request_bytes)
    assert reply.startswith(b"HTTP/1.1 %d " % status), reply[:200]
    assert_alive(server)


def start_with_config(tmp_path, yaml_text):
    home = tempfile.mkdtemp(prefix="plinth-hostile-")
    config = os.path.join(home, "plinth.yaml")
    with open(config, "w") as f:
        f.write(yaml_text)
    return Server(home, extra_args=["--config", config]).start()


def test_idle_connections_that_never_send_headers_are_closed(tmp_path):
    server = start_with_config(tmp_path, "server:\n  header_timeout: 1s\n")
    try:
        socks = []
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
            socks.append(s)
        started = time.time()
        for s in socks:
            assert s.recv(1) == b""  # closed by the server
            s.close()
        assert time.time() - started < 8
        assert_alive(server)
    finally:
        server.stop()


def test_connections_over_the_cap_get_503(tmp_path):
    server = start_with_config(tmp_path, "server:\n  max_connections: 10\n")
    try:
        held = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(4096).startswith(b"HTTP/1.1 200")
            held.append(s)
        reply = raw_exchange(server.port, b"")
        assert reply.startswith(b"HTTP/1.1 503"), reply
        for s in held:
            s.close()
        deadline = time.time() + 5
        while time.time() < deadline:
            try:
                if server.call("GET", "/healthz").status_code == 200:
                    break
            except Exception:
                time.sleep(0.05)
        assert_alive(server)
    finally:
        server.stop()


# --- storage full -------------------------------------------------------

def mount_tmpfs(size):
    path = tempfile.mkdtemp(prefix="plinth-full-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if REQUIRE_SERVICES and os.geteuid() == 0:
            pytest.fail("cannot mount a tmpfs: " + r.stderr)
        pytest.skip("mounting a tmpfs needs root: " + r.stderr.strip())
    return path


def test_a_full_disk_answers_507_and_loses_nothing_acknowledged():
    mount = mount_tmpfs("6m")
    try:
        home = os.path.join(mount, "home")
        os.makedirs(home)
        server = Server(home).start()
        run_id = server.new_run()["info"]["run_id"]
        acknowledged, full = [], None
        value = "v" * 6000
        for i in range(5000):
            r = server.call("POST", "/api/2.0/mlflow/runs/log-batch", json={
                "run_id": run_id, "params": [{"key": f"p{i}_{k}", "value": value} for k in range(20)]})
            if r.status_code == 200:
                acknowledged.append(i)
                continue
            full = r
            break
        assert full is not None, "the disk never filled up"
        assert full.status_code == 507, full.text
        message = full.json()["message"]
        assert "is full" in message and "free" in message
        assert_clean_message(message)
        metrics = server.call("GET", "/metrics").text
        assert 'plinth_storage_free_bytes{folder="home"}' in metrics
        # Writes keep being refused cleanly, reads keep working.
        assert server.call("GET", "/api/2.0/mlflow/runs/get", params={"run_id": run_id}).status_code == 200
        server.kill9()
        # Every acknowledged batch is there after a restart with space freed.
        subprocess.run(["mount", "-o", "remount,size=64m", mount], check=True)
        server = Server(home)
        server.start()
        params = {p["key"] for p in server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]["data"]["params"]}
        for i in acknowledged:
            assert f"p{i}_0" in params and f"p{i}_19" in params
        server.stop()
    finally:
        subprocess.run(["umount", "-l", mount])


# --- tokens -------------------------------------------------------------

def test_the_first_token_must_be_an_admin(fresh_server):
    server = fresh_server()
    r = server.call("POST", "/api/v1/tokens", json={"team": "default", "role": "member"})
    assert r.status_code == 400, r.text
    assert "create an admin token first" in r.json()["error"]["message"]
    # Nothing changed: the server is still open on loopback.
    assert server.call("GET", "/api/2.0/mlflow/experiments/search").status_code == 200


def admin_create_token(home, *args):
    return subprocess.run([PLINTH_BIN, "admin", "create-token", "--home", home, "--json", *args],
                          capture_output=True, text=True, timeout=30)


def test_offline_admin_token_recovers_a_server_and_networked_servers_never_go_anonymous(tmp_path):
    home = str(tmp_path / "home")
    # A server on a network address without tokens is refused with the way out.
    r = subprocess.run([PLINTH_BIN, "server", "--home", home, "--host", "0.0.0.0",
                        "--port", str(free_port())], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "plinth admin create-token" in r.stderr
    created = admin_create_token(home, "--team", "ops")
    assert created.returncode == 0, created.stderr
    secret = json.loads(created.stdout)["secret"]
    assert json.loads(created.stdout)["role"] == "admin"
    server = Server(home, extra_args=["--host", "0.0.0.0"]).start()
    try:
        assert server.call("GET", "/api/v1/tokens").status_code == 401
        tokens = server.call("GET", "/api/v1/tokens", token=secret).json()["tokens"]
        assert [t["team"] for t in tokens] == ["ops"]
        # Revoking the last token leaves a networked server locked, not anonymous.
        assert server.call("DELETE", "/api/v1/tokens/" + tokens[0]["id"], token=secret).status_code == 200
        assert server.call("GET", "/api/2.0/mlflow/experiments/search").status_code == 401
        assert server.call("GET", "/api/v1/tokens", token=secret).status_code == 401
    finally:
        server.stop()
    # The offline command is the way back in.
    created = admin_create_token(home)
    assert created.returncode == 0, created.stderr
    server = Server(home, extra_args=["--host", "0.0.0.0"]).start()
    try:
        secret = json.loads(created.stdout)["secret"]
        assert server.call("GET", "/api/v1/tokens", token=secret).status_code == 200
    finally:
        server.stop()


def test_offline_admin_command_errors_are_one_line(tmp_path):
    r = admin_create_token(str(tmp_path / "nowhere"))
    assert r.returncode != 0 and "no Plinth database" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    home = str(tmp_path / "h")
    os.makedirs(home)
    Server(home).start().stop()
    r = admin_create_token(home, "--role", "viewer")
    assert r.returncode != 0 and "create an admin token first" in r.stderr


# --- the CLI ------------------------------------------------------------

def test_cli_tables_escape_terminal_control_sequences(server):
    name = "evil-\x1b[2J\x1b]0;owned\x07-" + os.urandom(3).hex()
    server.mlflow("POST", "experiments/create", {"name": name})
    env = dict(os.environ, PLINTH_URL=server.url)
    r = subprocess.run([PLINTH_BIN, "experiments", "list"], capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "evil-\\x1b[2J" in r.stdout
