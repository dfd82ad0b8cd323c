"""Tokens, roles and team isolation, on every API including MLflow's."""
import subprocess

from conftest import PLINTH_BIN, free_port


def bootstrap(server):
    """Creates teams a and b and tokens; returns a dict of secrets."""
    for team in ("a", "b"):
        assert server.call("POST", "/api/v1/teams", json={"name": team}).status_code == 200
    secrets = {}
    for name, team, role in [("admin", "default", "admin"), ("a_member", "a", "member"),
                             ("a_viewer", "a", "viewer"), ("b_member", "b", "member")]:
        token = secrets.get("admin")
        r = server.call("POST", "/api/v1/tokens", json={"name": name, "team": team, "role": role}, token=token)
        assert r.status_code == 200, r.text
        secrets[name] = r.json()["secret"]
        assert secrets[name].startswith("plt_")
    return secrets


def test_tokens_required_once_created(fresh_server):
    server = fresh_server()
    secrets = bootstrap(server)
    r = server.call("GET", "/api/2.0/mlflow/experiments/search")
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    r = server.call("GET", "/api/2.0/mlflow/experiments/search", token="plt_wrong")
    assert r.status_code == 401
    assert server.call("GET", "/api/2.0/mlflow/experiments/search", token=secrets["a_member"]).status_code == 200
    # health and metrics stay public
    assert server.call("GET", "/healthz").status_code == 200
    assert server.call("GET", "/metrics").status_code == 200
    # native API errors use the native shape
    r = server.call("GET", "/api/v1/tokens")
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"


def test_tokens_are_stored_hashed(fresh_server):
    server = fresh_server()
    secrets = bootstrap(server)
    with open(server.home + "/plinth.db", "rb") as f:
        data = f.read()
    for secret in secrets.values():
        assert secret.encode() not in data


def test_viewer_cannot_write_and_teams_are_isolated(fresh_server):
    server = fresh_server()
    s = bootstrap(server)
    exp_a = server.mlflow("POST", "experiments/create", {"name": "team-a-exp"}, token=s["a_member"])["experiment_id"]
    run_a = server.mlflow("POST", "runs/create", {"experiment_id": exp_a}, token=s["a_member"])["run"]["info"]["run_id"]

    r = server.mlflow("POST", "experiments/create", {"name": "viewer-exp"}, token=s["a_viewer"], expect=403)
    assert r["error_code"] == "PERMISSION_DENIED"
    r = server.mlflow("POST", "runs/log-metric", {"run_id": run_a, "key": "m", "value": 1, "timestamp": 1},
                      token=s["a_viewer"], expect=403)
    server.mlflow("GET", "runs/get", {"run_id": run_a}, token=s["a_viewer"])

    # team b can neither read nor change team a's experiment and runs
    server.mlflow("GET", "experiments/get", {"experiment_id": exp_a}, token=s["b_member"], expect=403)
    server.mlflow("GET", "runs/get", {"run_id": run_a}, token=s["b_member"], expect=403)
    server.mlflow("POST", "runs/log-batch", {"run_id": run_a, "metrics": []}, token=s["b_member"], expect=403)
    server.mlflow("POST", "experiments/delete", {"experiment_id": exp_a}, token=s["b_member"], expect=403)
    server.mlflow("POST", "runs/search", {"experiment_ids": [exp_a]}, token=s["b_member"], expect=403)
    listed = server.mlflow("POST", "experiments/search", {}, token=s["b_member"])
    assert exp_a not in [e["experiment_id"] for e in listed.get("experiments", [])]
    artifact = f"/api/2.0/mlflow-artifacts/artifacts/{exp_a}/{run_a}/artifacts/x.txt"
    assert server.call("PUT", artifact, data=b"x", token=s["b_member"]).status_code == 403
    assert server.call("PUT", artifact, data=b"x", token=s["a_member"]).status_code == 200
    assert server.call("GET", artifact, token=s["b_member"]).status_code == 403
    # the admin sees everything
    server.mlflow("GET", "runs/get", {"run_id": run_a}, token=s["admin"])
    # only admins manage tokens
    assert server.call("GET", "/api/v1/tokens", token=s["a_member"]).status_code == 403


def test_revoked_token_is_rejected(fresh_server):
    server = fresh_server()
    s = bootstrap(server)
    tokens = server.call("GET", "/api/v1/tokens", token=s["admin"]).json()["tokens"]
    victim = next(t for t in tokens if t["name"] == "b_member")
    assert server.call("DELETE", "/api/v1/tokens/" + victim["id"], token=s["admin"]).status_code == 200
    r = server.call("GET", "/api/2.0/mlflow/experiments/search", token=s["b_member"])
    assert r.status_code == 401


def test_non_loopback_without_tokens_is_refused(tmp_path):
    r = subprocess.run([PLINTH_BIN, "server", "--home", str(tmp_path), "--host", "0.0.0.0",
                        "--port", str(free_port())], capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "refusing to listen on 0.0.0.0" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_non_loopback_with_insecure_starts(fresh_server):
    server = fresh_server(extra_args=["--host", "0.0.0.0", "--insecure"])
    assert server.call("GET", "/healthz").status_code == 200
