"""Issue 9, point 3: isolation tested by construction. The test lists every
route the server's router has registered (GET /api/v1/routes) and calls each
one without a token, with another team's member token, and with a viewer
token of the owning team, expecting the documented answer for each. A route
added without an entry in ROUTES fails the test."""
import time
import uuid

import pytest

from conftest import Server, two_team_server

# The owning team is "a"; "b" is the other team. Placeholders in paths,
# params and bodies are filled from the resources team a owns (see fixture).
DENIED = 403
# `other` / `viewer`: an expected status, FILTERED (200, and none of team a's
# resources in the answer), or NA with the reason the case does not apply.
FILTERED = "filtered"
NA = "n/a"
PUBLIC = "public"  # no token needed; everyone gets 200


def route(method, path, other, viewer, params=None, body=None, data=None, suffix="", reason="",
          stream=False):
    """`suffix`: what a prefix route is called with after its prefix. `stream`:
    a 200 answer is a stream that does not end; only its head is read."""
    return {"method": method, "path": path, "other": other, "viewer": viewer, "params": params,
            "body": body, "data": data, "suffix": suffix, "reason": reason, "stream": stream}


M = "/api/2.0/mlflow/"
AJAX = "/ajax-api/2.0/mlflow/"
ART = "{exp}/{run}/artifacts"
OWN_TEAM = "creates in the caller's own team: there is no other team's resource to reach"

ROUTES = [
    # experiments
    route("POST", M + "experiments/create", NA, DENIED, body={"name": "new-{uniq}"}, reason=OWN_TEAM),
    route("POST", M + "experiments/delete", DENIED, DENIED, body={"experiment_id": "{exp}"}),
    route("POST", M + "experiments/restore", DENIED, DENIED, body={"experiment_id": "{exp}"}),
    route("POST", M + "experiments/update", DENIED, DENIED,
          body={"experiment_id": "{exp}", "new_name": "stolen-{uniq}"}),
    route("POST", M + "experiments/set-experiment-tag", DENIED, DENIED,
          body={"experiment_id": "{exp}", "key": "k", "value": "v"}),
    route("POST", M + "experiments/delete-experiment-tag", DENIED, DENIED,
          body={"experiment_id": "{exp}", "key": "k"}),
    route("GET", M + "experiments/get", DENIED, 200, params={"experiment_id": "{exp}"}),
    route("GET", M + "experiments/get-by-name", DENIED, 200, params={"experiment_name": "{exp_name}"}),
    route("GET", M + "experiments/list", FILTERED, 200),
    route("GET", M + "experiments/search", FILTERED, 200),
    route("POST", M + "experiments/search", FILTERED, 200, body={}),
    route("POST", AJAX + "experiments/search-datasets", DENIED, 200, body={"experiment_ids": ["{exp}"]}),
    # runs and logging
    route("POST", M + "runs/create", DENIED, DENIED, body={"experiment_id": "{exp}"}),
    route("POST", M + "runs/delete", DENIED, DENIED, body={"run_id": "{run}"}),
    route("POST", M + "runs/restore", DENIED, DENIED, body={"run_id": "{run}"}),
    route("POST", M + "runs/update", DENIED, DENIED, body={"run_id": "{run}", "status": "FAILED"}),
    route("GET", M + "runs/get", DENIED, 200, params={"run_id": "{run}"}),
    route("GET", M + "runs/search", DENIED, 200, params={"experiment_ids": "{exp}"}),
    route("POST", M + "runs/search", DENIED, 200, body={"experiment_ids": ["{exp}"]}),
    route("POST", M + "runs/set-tag", DENIED, DENIED, body={"run_id": "{run}", "key": "k", "value": "v"}),
    route("POST", M + "runs/delete-tag", DENIED, DENIED, body={"run_id": "{run}", "key": "t"}),
    route("POST", M + "runs/log-metric", DENIED, DENIED,
          body={"run_id": "{run}", "key": "m", "value": 1, "timestamp": 1, "step": 9}),
    route("POST", M + "runs/log-parameter", DENIED, DENIED, body={"run_id": "{run}", "key": "q", "value": "1"}),
    route("POST", M + "runs/log-batch", DENIED, DENIED,
          body={"run_id": "{run}", "metrics": [{"key": "m", "value": 1, "timestamp": 1, "step": 8}]}),
    route("POST", M + "runs/log-inputs", DENIED, DENIED,
          body={"run_id": "{run}", "datasets": [{"dataset": {
              "name": "d", "digest": "x", "source_type": "local", "source": "s"}}]}),
    route("POST", M + "runs/log-model", DENIED, DENIED,
          body={"run_id": "{run}", "model_json": "{{\"artifact_path\": \"m\", \"flavors\": {{}}, "
                                                "\"run_id\": \"{run}\", \"utc_time_created\": "
                                                "\"2026-01-01 00:00:00.000000\"}}"}),
    route("GET", M + "metrics/get-history", DENIED, 200, params={"run_id": "{run}", "metric_key": "m"}),
    route("GET", M + "metrics/get-history-bulk-interval", DENIED, 200,
          params={"run_ids": "{run}", "metric_key": "m"}),
    route("GET", AJAX + "metrics/get-history-bulk", DENIED, 200, params={"run_id": "{run}", "metric_key": "m"}),
    # artifacts
    route("GET", M + "artifacts/list", DENIED, 200, params={"run_id": "{run}"}),
    route("POST", AJAX + "upload-artifact", DENIED, DENIED,
          params={"run_uuid": "{run}", "path": "x.txt"}, data=b"x"),
    route("GET", "/api/2.0/mlflow-artifacts/artifacts", DENIED, 200, params={"path": ART}),
    route("GET", "/api/2.0/mlflow-artifacts/artifacts/", DENIED, 200, suffix=ART + "/file.txt"),
    route("PUT", "/api/2.0/mlflow-artifacts/artifacts/", DENIED, DENIED, data=b"y", suffix=ART + "/new.txt"),
    route("DELETE", "/api/2.0/mlflow-artifacts/artifacts/", DENIED, DENIED, suffix=ART + "/file.txt"),
    route("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts", DENIED, 200, params={"path": ART}),
    route("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/", DENIED, 200, suffix=ART + "/file.txt"),
    route("PUT", "/ajax-api/2.0/mlflow-artifacts/artifacts/", DENIED, DENIED, data=b"y",
          suffix=ART + "/new.txt"),
    route("DELETE", "/ajax-api/2.0/mlflow-artifacts/artifacts/", DENIED, DENIED, suffix=ART + "/file.txt"),
    # registered models
    route("POST", M + "registered-models/create", NA, DENIED, body={"name": "m-{uniq}"}, reason=OWN_TEAM),
    route("GET", M + "registered-models/get", DENIED, 200, params={"name": "{model}"}),
    route("PATCH", M + "registered-models/update", DENIED, DENIED, body={"name": "{model}", "description": "x"}),
    route("POST", M + "registered-models/rename", DENIED, DENIED, body={"name": "{model}", "new_name": "z-{uniq}"}),
    route("DELETE", M + "registered-models/delete", DENIED, DENIED, body={"name": "{model}"}),
    route("POST", M + "registered-models/set-tag", DENIED, DENIED, body={"name": "{model}", "key": "k", "value": "v"}),
    route("DELETE", M + "registered-models/delete-tag", DENIED, DENIED, body={"name": "{model}", "key": "k"}),
    route("GET", M + "registered-models/list", FILTERED, 200),
    route("GET", M + "registered-models/search", FILTERED, 200),
    route("GET", M + "registered-models/get-latest-versions", DENIED, 200, params={"name": "{model}"}),
    route("POST", M + "registered-models/get-latest-versions", DENIED, 200, body={"name": "{model}"}),
    route("GET", M + "registered-models/alias", DENIED, 200, params={"name": "{model}", "alias": "champion"}),
    route("POST", M + "registered-models/alias", DENIED, DENIED,
          body={"name": "{model}", "alias": "x", "version": "1"}),
    route("DELETE", M + "registered-models/alias", DENIED, DENIED, body={"name": "{model}", "alias": "champion"}),
    # model versions
    route("POST", M + "model-versions/create", DENIED, DENIED, body={"name": "{model}", "source": "s3://b/x"}),
    route("GET", M + "model-versions/get", DENIED, 200, params={"name": "{model}", "version": "1"}),
    route("GET", M + "model-versions/get-download-uri", DENIED, 200, params={"name": "{model}", "version": "1"}),
    route("GET", M + "model-versions/search", FILTERED, 200, params={"filter": "name='{model}'"}),
    route("PATCH", M + "model-versions/update", DENIED, DENIED,
          body={"name": "{model}", "version": "1", "description": "x"}),
    route("POST", M + "model-versions/transition-stage", DENIED, DENIED,
          body={"name": "{model}", "version": "1", "stage": "Staging", "archive_existing_versions": False}),
    route("POST", M + "model-versions/set-tag", DENIED, DENIED,
          body={"name": "{model}", "version": "1", "key": "k", "value": "v"}),
    route("DELETE", M + "model-versions/delete-tag", DENIED, DENIED,
          body={"name": "{model}", "version": "1", "key": "k"}),
    route("DELETE", M + "model-versions/delete", DENIED, DENIED, body={"name": "{model}", "version": "1"}),
    # jobs and reports
    route("GET", "/api/v1/jobs", FILTERED, 200),
    route("POST", "/api/v1/jobs", DENIED, DENIED, body={"command": ["true"], "team": "a"}),
    route("GET", "/api/v1/jobs/", DENIED, 200, suffix="{job}"),
    route("POST", "/api/v1/jobs/", DENIED, DENIED, suffix="{job}/cancel"),
    route("GET", "/api/v1/queues", FILTERED, 200),
    route("GET", "/api/v1/events", DENIED, 200, params={"topic": "jobs/{job}"}, stream=True),
    route("GET", "/api/v1/gpus", FILTERED, 200),
    route("GET", "/api/v1/accounting", FILTERED, 200, params={"group_by": "team"}),
    # server administration
    route("GET", "/api/v1/info", 200, 200),
    route("GET", "/api/v1/routes", DENIED, DENIED),
    route("GET", "/api/v1/teams", FILTERED, 200),
    route("POST", "/api/v1/teams", DENIED, DENIED, body={"name": "t-{uniq}"}),
    route("GET", "/api/v1/tokens", DENIED, DENIED),
    route("POST", "/api/v1/tokens", DENIED, DENIED, body={"team": "a", "role": "admin"}),
    route("DELETE", "/api/v1/tokens/", DENIED, DENIED, suffix="{token_id}"),
    route("GET", "/health", PUBLIC, PUBLIC),
    route("GET", "/healthz", PUBLIC, PUBLIC),
    route("GET", "/metrics", PUBLIC, PUBLIC),
]


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.fixture(scope="module")
def world():
    """A server requiring tokens; team a owns an experiment with a run (a
    metric, a tag, an artifact), a model with version 1 and an alias, and a
    running job on a GPU."""
    server, tokens, token_ids = two_team_server("plinth-routes-")
    a = tokens["a-member"]
    exp_name = "secret-" + uuid.uuid4().hex[:6]
    exp = server.mlflow("POST", "experiments/create", {"name": exp_name}, token=a)["experiment_id"]
    run = server.mlflow("POST", "runs/create", {"experiment_id": exp}, token=a)["run"]["info"]["run_id"]
    server.mlflow("POST", "runs/log-batch", {"run_id": run, "metrics": [
        {"key": "m", "value": 1.0, "timestamp": 1, "step": 0}], "tags": [{"key": "t", "value": "v"}]},
        token=a)
    put = server.call("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/file.txt",
                      data=b"hello", token=a)
    assert put.status_code == 200, put.text
    model = "model-" + uuid.uuid4().hex[:6]
    server.mlflow("POST", "registered-models/create", {"name": model}, token=a)
    server.mlflow("POST", "model-versions/create", {"name": model, "source": "s3://b/m", "run_id": run},
                  token=a)
    server.mlflow("POST", "registered-models/alias", {"name": model, "alias": "champion", "version": "1"},
                  token=a)
    job = server.call("POST", "/api/v1/jobs", json={"name": "hidden-job", "command": ["sleep", "300"],
                                                    "resources": {"gpus": 1}}, token=a).json()["job"]["id"]
    deadline = time.time() + 30
    while server.call("GET", f"/api/v1/jobs/{job}", token=a).json()["job"]["state"] != "RUNNING":
        assert time.time() < deadline, "team a's job did not start"
        time.sleep(0.05)
    ids = {"exp": exp, "exp_name": exp_name, "run": run, "model": model, "job": job,
           "token_id": token_ids["a-member"], "uniq": uuid.uuid4().hex[:8]}
    # What must never appear in an answer to team b.
    secrets = [exp_name, run, model, job, "hidden-job"]
    yield server, tokens, ids, secrets
    server.call("POST", f"/api/v1/jobs/{job}/cancel", token=tokens["admin"])
    server.stop()


def call(server, entry, ids, token, path=None):
    path = path or entry["path"]
    if entry["suffix"]:
        path = path + fill(entry["suffix"], ids)
    ids = dict(ids, uniq=uuid.uuid4().hex[:8])
    r = server.call(entry["method"], path, params=fill(entry["params"], ids),
                    json=fill(entry["body"], ids), data=entry["data"], token=token,
                    stream=entry["stream"])
    if entry["stream"] and r.status_code == 200:
        r.close()  # the head says enough; the body would not end
        r._content = b""
    return r


def registered(server, tokens):
    routes = server.call("GET", "/api/v1/routes", token=tokens["admin"]).json()["routes"]
    return [(r["method"], r["path"]) for r in routes]


def entry_for(method, path):
    # Every MLflow route is registered under /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/.
    twin = path.replace("/ajax-api/2.0/mlflow/", "/api/2.0/mlflow/", 1)
    for e in ROUTES:
        if e["method"] == method and e["path"] in (path, twin):
            return e
    return None


def test_every_route_has_an_entry(world):
    server, tokens, _, _ = world
    missing = [f"{m} {p}" for m, p in registered(server, tokens) if entry_for(m, p) is None]
    assert not missing, f"routes without an isolation entry in ROUTES: {missing}"


def test_no_token_is_401_everywhere_but_public_routes(world):
    server, tokens, ids, _ = world
    for method, path in registered(server, tokens):
        entry = entry_for(method, path)
        r = call(server, entry, ids, None, path)
        expected = 200 if entry["other"] == PUBLIC else 401
        assert r.status_code == expected, f"{method} {path} without a token: {r.status_code} {r.text[:200]}"


def walk(world, token, column, ok):
    """Calls every registered route whose `column` entry applies with
    `token`; returns the routes where ok(entry's expectation, response) fails."""
    server, tokens, ids, _ = world
    failures = []
    for method, path in registered(server, tokens):
        entry = entry_for(method, path)
        if entry[column] in (NA, PUBLIC):
            continue
        r = call(server, entry, ids, tokens[token], path)
        if not ok(entry[column], r):
            failures.append(f"{method} {path}: {r.status_code} {r.text[:160]}")
    return failures


def test_another_teams_token_reaches_nothing(world):
    secrets = world[3]

    def ok(expected, r):
        if expected == FILTERED:
            return r.status_code == 200 and not any(s in r.text for s in secrets)
        # A denial does not say who owns the resource.
        return r.status_code == expected and "'a'" not in r.text

    failures = walk(world, "b-member", "other", ok)
    assert not failures, "\n".join(failures)


def test_a_viewer_reads_but_never_writes(world):
    failures = walk(world, "a-viewer", "viewer", lambda expected, r: r.status_code == expected)
    assert not failures, "\n".join(failures)


def test_team_as_resources_survived(world):
    """Every denied write above really was denied: team a still has it all."""
    server, tokens, ids, _ = world
    a = tokens["a-member"]
    exp = server.mlflow("GET", "experiments/get", {"experiment_id": ids["exp"]}, token=a)["experiment"]
    assert exp["name"] == ids["exp_name"] and exp["lifecycle_stage"] == "active"
    run = server.mlflow("GET", "runs/get", {"run_id": ids["run"]}, token=a)["run"]
    assert run["info"]["status"] == "RUNNING"
    assert [m["step"] for m in run["data"]["metrics"]] == [0]
    version = server.mlflow("GET", "model-versions/get", {"name": ids["model"], "version": "1"},
                            token=a)["model_version"]
    assert version["current_stage"] == "None"
    body = server.call("GET", f"/api/2.0/mlflow-artifacts/artifacts/{ids['exp']}/{ids['run']}/artifacts/file.txt",
                       token=a)
    assert body.status_code == 200 and body.content == b"hello"


# A prefix route is walked above with one suffix; the job route serves
# several actions under it, each checked on its own here.
JOB_ACTIONS = [
    route("GET", "/api/v1/jobs/", DENIED, 200, suffix="{job}/events"),
    route("GET", "/api/v1/jobs/", DENIED, 200, suffix="{job}/logs"),
    route("GET", "/api/v1/jobs/", DENIED, 200, suffix="{job}/logs", params={"follow": "true"},
          stream=True),
    route("GET", "/api/v1/jobs/", DENIED, 200, suffix="{job}/why"),
    # Past the check, the job itself cannot be rendered (it has no image):
    # 400 with that reason, where another team gets 403 before it.
    route("GET", "/api/v1/jobs/", DENIED, 400, suffix="{job}/render"),
]


def test_every_action_of_a_job_is_guarded(world):
    server, tokens, ids, _ = world
    failures = []
    for entry in JOB_ACTIONS:
        for token, expected in (("b-member", entry["other"]), ("a-viewer", entry["viewer"])):
            r = call(server, entry, ids, tokens[token])
            if r.status_code != expected or "'a'" in r.text:
                failures.append(f"{entry['suffix']} {entry['params']} as {token}: {r.status_code} {r.text[:160]}")
        r = call(server, entry, ids, None)
        if r.status_code != 401:
            failures.append(f"{entry['suffix']} without a token: {r.status_code}")
    assert not failures, "\n".join(failures)
