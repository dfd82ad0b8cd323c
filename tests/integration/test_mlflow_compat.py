"""Behaviour that must match MLflow's own server exactly (issue 8), on SQLite and PostgreSQL.

Expected values and messages come from MLflow's handlers and its tests
(tests/tracking/test_rest_tracking.py, tests/server/test_handlers.py).
"""
import json
import uuid

from test_auth import bootstrap

HISTORY_TAG = "mlflow.log-model.history"


def model_dict(run_id, path="model", **extra):
    d = {"artifact_path": path, "run_id": run_id, "utc_time_created": "2026-12-07 08:00:00.000000",
         "flavors": {"pytorch": {"pytorch_version": "2.1", "code": None, "config": {"big": "x"}},
                     "python_function": {"loader_module": "mlflow.pytorch", "python_version": "3.11"}},
         "mlflow_version": "2.16.0"}
    d.update(extra)
    return d


def tag_value(server, run_id, key):
    run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}.get(key)


# --- point 1: runs/log-model -------------------------------------------------

def test_log_model_appends_to_history_tag(server):
    run_id = server.new_run()["info"]["run_id"]
    server.mlflow("POST", "runs/log-model",
                  {"run_id": run_id, "model_json": json.dumps(model_dict(run_id, model_uuid="u1"))})
    server.mlflow("POST", "runs/log-model",
                  {"run_id": run_id, "model_json": json.dumps(model_dict(run_id, "second"))})
    history = json.loads(tag_value(server, run_id, HISTORY_TAG))
    assert [m["artifact_path"] for m in history] == ["model", "second"]
    first = history[0]
    # MLflow keeps run_id, artifact_path, utc_time_created, model_uuid and the
    # flavors without their "config" entries.
    assert first == {"run_id": run_id, "artifact_path": "model",
                     "utc_time_created": "2026-12-07 08:00:00.000000", "model_uuid": "u1",
                     "flavors": {"pytorch": {"pytorch_version": "2.1", "code": None},
                                 "python_function": {"loader_module": "mlflow.pytorch",
                                                     "python_version": "3.11"}}}
    assert len(history[1]["model_uuid"]) == 32  # generated, as Model() does


def test_log_model_validation(server):
    run_id = server.new_run()["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-model", {"run_id": run_id, "model_json": "{not json"}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    assert r["message"] == "Malformed model info. \n {not json \n is not a valid JSON."
    r = server.mlflow("POST", "runs/log-model",
                      {"run_id": run_id, "model_json": json.dumps({"artifact_path": "m", "run_id": run_id})},
                      expect=400)
    assert r["message"] == "Model json is missing mandatory fields: {'flavors', 'utc_time_created'}"
    r = server.mlflow("POST", "runs/log-model", {"run_id": run_id}, expect=400)
    assert r["message"].startswith("Missing value for required parameter 'model_json'")
    r = server.mlflow("POST", "runs/log-model",
                      {"run_id": uuid.uuid4().hex, "model_json": json.dumps(model_dict("x"))}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    server.mlflow("POST", "runs/delete", {"run_id": run_id})
    r = server.mlflow("POST", "runs/log-model",
                      {"run_id": run_id, "model_json": json.dumps(model_dict(run_id))}, expect=400)
    assert "must be in the 'active' state" in r["message"]


# --- point 2: model versions of runs tracked elsewhere -------------------------

def test_model_version_with_foreign_run_id(server):
    name = "model-" + uuid.uuid4().hex[:8]
    server.mlflow("POST", "registered-models/create", {"name": name})
    foreign = uuid.uuid4().hex
    mv = server.mlflow("POST", "model-versions/create",
                       {"name": name, "source": "s3://bucket/models/m1", "run_id": foreign})["model_version"]
    assert mv["run_id"] == foreign and mv["source"] == "s3://bucket/models/m1"
    mv = server.mlflow("POST", "model-versions/create",
                       {"name": name, "source": "mlflow-artifacts:/models/m2", "run_id": "not-a-hex-id"})
    assert mv["model_version"]["run_id"] == "not-a-hex-id"


def test_model_version_of_local_run_keeps_team_check(fresh_server):
    server = fresh_server()
    s = bootstrap(server)
    exp_b = server.mlflow("POST", "experiments/create", {"name": "b-exp"}, token=s["b_member"])["experiment_id"]
    run_b = server.mlflow("POST", "runs/create", {"experiment_id": exp_b}, token=s["b_member"])["run"]["info"]["run_id"]
    name = "model-a"
    server.mlflow("POST", "registered-models/create", {"name": name}, token=s["a_member"])
    r = server.mlflow("POST", "model-versions/create",
                      {"name": name, "source": "s3://bucket/m", "run_id": run_b}, token=s["a_member"], expect=403)
    assert r["error_code"] == "PERMISSION_DENIED"
    server.mlflow("POST", "model-versions/create",
                  {"name": name, "source": "s3://bucket/m", "run_id": uuid.uuid4().hex}, token=s["a_member"])


# --- point 4: get-history-bulk-interval picks MLflow's steps ------------------

def bulk_interval(server, params, expect=200):
    r = server.call("GET", "/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval", params=params)
    assert r.status_code == expect, r.text
    return r.json()


def log_history(server, run_id, steps, timestamp=1):
    metrics = [{"key": "metricA", "timestamp": timestamp, "step": i, "value": 10.0} for i in steps]
    for begin in range(0, len(metrics), 1000):
        server.mlflow("POST", "runs/log-batch", {"run_id": run_id, "metrics": metrics[begin:begin + 1000]})
    return metrics


def test_bulk_interval_matches_mlflow_examples(server):
    # test_get_metric_history_bulk_interval_respects_max_results, step for step.
    exp = server.new_experiment()
    run1 = server.new_run(exp)["info"]["run_id"]
    history1 = log_history(server, run1, range(10))
    got = bulk_interval(server, {"run_ids": [run1], "metric_key": "metricA", "max_results": 5})
    assert got["metrics"] == [dict(m, run_id=run1) for m in history1 if m["step"] in [0, 2, 4, 6, 8, 9]]

    got = bulk_interval(server, {"run_ids": [run1], "metric_key": "metricA", "start_step": 0,
                                 "end_step": 4, "max_results": 5})
    assert got["metrics"] == [dict(m, run_id=run1) for m in history1[:5]]

    run2 = server.new_run(exp)["info"]["run_id"]
    history2 = log_history(server, run2, range(20))
    got = bulk_interval(server, {"run_ids": [run1, run2], "metric_key": "metricA", "max_results": 5})
    steps = [0, 4, 8, 9, 12, 16, 19]
    assert got["metrics"] == ([dict(m, run_id=run1) for m in history1 if m["step"] in steps] +
                              [dict(m, run_id=run2) for m in history2 if m["step"] in steps])

    # Every point at a chosen step comes back, ordered by timestamp.
    log_history(server, run1, range(10), timestamp=2)
    got = bulk_interval(server, {"run_ids": [run1], "metric_key": "metricA", "max_results": 5})
    assert got["metrics"] == [{"key": "metricA", "timestamp": j, "step": i, "value": 10.0, "run_id": run1}
                              for i in [0, 2, 4, 6, 8, 9] for j in [1, 2]]


def test_bulk_interval_uneven_steps_and_defaults(server):
    # Positions, not values, are spaced evenly: a far outlier step does not
    # starve the sample (Plinth used to space step values).
    run_id = server.new_run()["info"]["run_id"]
    log_history(server, run_id, list(range(1000)) + [100000])
    got = bulk_interval(server, {"run_ids": [run_id], "metric_key": "metricA", "max_results": 5})
    assert [m["step"] for m in got["metrics"]] == [0, 200, 400, 600, 800, 100000]
    # MLflow's default max_results is 2500: all 1001 steps.
    got = bulk_interval(server, {"run_ids": [run_id], "metric_key": "metricA"})
    assert len(got["metrics"]) == 1001


def test_bulk_interval_errors(server):
    def error(params):
        return bulk_interval(server, params, expect=400)["message"]

    assert error({"run_ids": ["123"], "metric_key": "key", "max_results": 0}) == \
        "max_results must be between 1 and 2500."
    assert error({"run_ids": ["123"], "metric_key": "key", "max_results": 2501}) == \
        "max_results must be between 1 and 2500."
    assert error({"run_ids": ["123"], "metric_key": ""}).startswith(
        "Missing value for required parameter 'metric_key'")
    assert error({"run_ids": ["123"], "metric_key": "key", "start_step": 1, "end_step": 0,
                  "max_results": 5}) == "end_step must be greater than start_step. Found start_step=1 and end_step=0."
    assert error({"run_ids": ["123"], "metric_key": "key", "start_step": 1, "max_results": 5}) == \
        "If either start step or end step are specified, both must be specified."


# --- point 3: the UI's ajax-only endpoints ------------------------------------

def test_get_history_bulk(server):
    exp = server.new_experiment()
    a, b = (server.new_run(exp)["info"]["run_id"] for _ in range(2))
    server.mlflow("POST", "runs/log-batch", {"run_id": a, "metrics": [
        {"key": "loss", "value": 2.0, "timestamp": 20, "step": 0},
        {"key": "loss", "value": 1.0, "timestamp": 10, "step": 1}]})
    server.mlflow("POST", "runs/log-batch", {"run_id": b, "metrics": [
        {"key": "loss", "value": 5.0, "timestamp": 5, "step": 0}]})
    url = "/ajax-api/2.0/mlflow/metrics/get-history-bulk"
    r = server.call("GET", url, params={"run_id": [b, a], "metric_key": "loss"})
    assert r.status_code == 200, r.text
    first, second = sorted([a, b])
    by_run = {a: [{"key": "loss", "value": 1.0, "timestamp": 10, "step": 1, "run_id": a},
                  {"key": "loss", "value": 2.0, "timestamp": 20, "step": 0, "run_id": a}],
              b: [{"key": "loss", "value": 5.0, "timestamp": 5, "step": 0, "run_id": b}]}
    assert r.json()["metrics"] == by_run[first] + by_run[second]
    r = server.call("GET", url, params={"run_id": [a, b], "metric_key": "loss", "max_results": 1})
    assert len(r.json()["metrics"]) == 1

    def error(params):
        r = server.call("GET", url, params=params)
        assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE", r.text
        return r.json()["message"]

    assert error({"metric_key": "loss"}) == "GetMetricHistoryBulk request must specify at least one run_id."
    assert error({"run_id": [str(i) for i in range(101)], "metric_key": "loss"}) == \
        "GetMetricHistoryBulk request cannot specify more than 100 run_ids. Received 101 run_ids."
    assert error({"run_id": a}) == "GetMetricHistoryBulk request must specify a metric_key."


def test_search_datasets(server):
    exp = server.new_experiment()
    run_id = server.new_run(exp)["info"]["run_id"]
    server.mlflow("POST", "runs/log-inputs", {"run_id": run_id, "datasets": [
        {"dataset": {"name": "name1", "digest": "digest1", "source_type": "source_type1", "source": "source1"},
         "tags": [{"key": "mlflow.data.context", "value": "training"}]},
        {"dataset": {"name": "name2", "digest": "digest2", "source_type": "t", "source": "s"}}]})
    url = "/ajax-api/2.0/mlflow/experiments/search-datasets"
    r = server.call("POST", url, json={"experiment_ids": [exp]})
    assert r.status_code == 200, r.text
    assert r.json()["dataset_summaries"] == [
        {"experiment_id": exp, "name": "name1", "digest": "digest1", "context": "training"},
        {"experiment_id": exp, "name": "name2", "digest": "digest2"}]
    for body, message in [({}, "SearchDatasets request must specify at least one experiment_id."),
                          ({"experiment_ids": []}, "SearchDatasets request must specify at least one experiment_id."),
                          ({"experiment_ids": [f"id_{i}" for i in range(1000)]},
                           "SearchDatasets request cannot specify more than 20 experiment_ids. Received 1000 experiment_ids.")]:
        r = server.call("POST", url, json=body)
        assert r.status_code == 400 and r.json()["message"] == message, r.text


def test_upload_artifact(server):
    run = server.new_run()["info"]
    url = "/ajax-api/2.0/mlflow/upload-artifact"
    r = server.call("POST", url, params={"run_uuid": run["run_id"], "path": "dir/test.txt"}, data=b"hello")
    assert r.status_code == 200, r.text
    listed = server.mlflow("GET", "artifacts/list", {"run_id": run["run_id"], "path": "dir"})
    assert listed["files"] == [{"path": "dir/test.txt", "is_dir": False, "file_size": 5}]
    path = run["artifact_uri"][len("mlflow-artifacts:/"):] + "/dir/test.txt"
    assert server.call("GET", "/api/2.0/mlflow-artifacts/artifacts/" + path).content == b"hello"
    # MLflow's test_upload_artifact_handler_rejects_invalid_requests.
    for params, data, message in [({}, None, "Request must specify run_uuid."),
                                  ({"run_uuid": run["run_id"]}, None, "Request must specify path."),
                                  ({"run_uuid": run["run_id"], "path": ""}, None, "Request must specify path."),
                                  ({"run_uuid": run["run_id"], "path": "../test.txt"}, None, "Invalid path"),
                                  ({"run_uuid": run["run_id"], "path": "test.txt"}, None, "Request must specify data.")]:
        r = server.call("POST", url, params=params, data=data)
        assert r.status_code == 400, r.text
        assert r.json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": message}


# --- point 5: deleting a missing artifact is a no-op ---------------------------

def test_proxy_delete_of_missing_path_is_ok(server):
    run = server.new_run()["info"]
    base = "/api/2.0/mlflow-artifacts/artifacts/" + run["artifact_uri"][len("mlflow-artifacts:/"):]
    r = server.call("DELETE", base + "/never-written.txt")
    assert r.status_code == 200 and r.json() == {}, r.text
    assert server.call("PUT", base + "/f.txt", data=b"x").status_code == 200
    assert server.call("DELETE", base + "/f.txt").status_code == 200
    assert server.call("GET", base + "/f.txt").status_code == 404


# --- point 6/8: artifact paths --------------------------------------------------

def test_artifact_paths_are_checked(server):
    run = server.new_run()["info"]
    root = run["artifact_uri"][len("mlflow-artifacts:/"):]
    url = "/ajax-api/2.0/mlflow/upload-artifact"
    for bad in ["a\r\nSet-Cookie: x=1", "a\x00b", "tab\there", "del\x7f", "/etc/x", "//etc/x", "a/../../b"]:
        r = server.call("POST", url, params={"run_uuid": run["run_id"], "path": bad}, data=b"x")
        assert r.status_code == 400 and r.json()["message"] == "Invalid path", (bad, r.text)
    from urllib.parse import quote
    proxy = "/api/2.0/mlflow-artifacts/artifacts/"
    # Dots percent-encoded: requests would otherwise resolve "../" itself.
    for bad in [quote("a\r\nSet-Cookie: x=1"), "%2E%2E/x"]:
        r = server.call("PUT", proxy + quote(root, safe="/") + "/" + bad, data=b"x")
        assert r.status_code == 400 and r.json()["message"] == "Invalid path", (bad, r.text)
    for absolute in ["/etc/passwd", "//etc/passwd"]:
        r = server.call("GET", proxy + absolute)
        assert r.status_code == 400 and r.json()["message"] == "Invalid path", r.text
    r = server.mlflow("GET", "artifacts/list", {"run_id": run["run_id"], "path": "../x"}, expect=400)
    assert r["message"] == "Invalid path"


def test_download_content_disposition(server):
    run = server.new_run()["info"]
    root = run["artifact_uri"][len("mlflow-artifacts:/"):]
    from urllib.parse import quote
    name = 'r\u00e9sum\u00e9 "q";x.txt'
    url = "/api/2.0/mlflow-artifacts/artifacts/" + quote(root + "/" + name, safe="/")
    assert server.call("PUT", url, data=b"x").status_code == 200
    r = server.call("GET", url)
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == \
        "attachment; filename=\"r__sum__ _q_;x.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22q%22%3Bx.txt"
    assert "Set-Cookie" not in r.headers


# --- point 6: MLflow's validation wording --------------------------------------

HINT = " See the API docs for more information about request parameters."


def test_validation_messages(server):
    exp = server.new_experiment()
    r = server.mlflow("POST", "experiments/create", {"name": "e-" + uuid.uuid4().hex, "tags": 5}, expect=400)
    assert r == {"error_code": "INVALID_PARAMETER_VALUE",
                 "message": "Invalid value 5 for parameter 'tags' supplied. Hint: Value was of type 'int'." + HINT}
    run_id = server.new_run(exp)["info"]["run_id"]
    r = server.mlflow("POST", "runs/log-metric",
                      {"run_id": run_id, "key": 31, "value": 1.0, "timestamp": 1}, expect=400)
    assert r["message"] == "Invalid value 31 for parameter 'key' supplied. Hint: Value was of type 'int'." + HINT
    r = server.mlflow("POST", "runs/set-tag", {"run_id": run_id, "key": 31, "value": "v"}, expect=400)
    assert r["message"].startswith("Invalid value 31 for parameter 'key' supplied.")
    r = server.mlflow("POST", "runs/log-inputs", {"run_id": run_id}, expect=400)
    assert r["message"] == "Missing value for required parameter 'datasets'." + HINT
    server.mlflow("POST", "runs/log-inputs", {"run_id": run_id, "datasets": []})


# --- point 9: MLflow endpoints Plinth deliberately does not serve --------------

def test_unserved_mlflow_endpoints_answer_endpoint_not_found(server):
    for method, path in [("POST", "/graphql"), ("GET", "/graphql"),
                         ("POST", "/ajax-api/2.0/mlflow/gateway-proxy"),
                         ("GET", "/ajax-api/2.0/mlflow/gateway-proxy"),
                         ("POST", "/ajax-api/2.0/mlflow/runs/create-promptlab-run"),
                         ("GET", "/api/2.0/mlflow/traces"), ("POST", "/api/3.0/mlflow/traces"),
                         ("POST", "/api/2.0/mlflow/logged-models"),
                         ("GET", "/ajax-api/3.0/mlflow/scorers/list"),
                         ("POST", "/api/2.0/mlflow/webhooks"),
                         ("POST", "/api/2.0/mlflow-artifacts/mpu/create/x")]:
        r = server.call(method, path, json={})
        assert r.status_code == 404, (method, path, r.text)
        assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND", (method, path, r.text)


# --- point 7: explicit artifact locations --------------------------------------

def test_explicit_artifact_location(server):
    import os
    exp = server.mlflow("POST", "experiments/create",
                        {"name": "loc-" + uuid.uuid4().hex, "artifact_location": "rel/arts"})["experiment_id"]
    got = server.mlflow("GET", "experiments/get", {"experiment_id": exp})["experiment"]
    # Relative to the server's working directory (the test's, here), as MLflow does.
    assert got["artifact_location"] == "file://" + os.path.join(os.getcwd(), "rel/arts")
    for uri in ["s3://bucket/prefix", "file:///tmp/plinth-loc", "gs://b/p"]:
        exp = server.mlflow("POST", "experiments/create",
                            {"name": "loc-" + uuid.uuid4().hex, "artifact_location": uri})["experiment_id"]
        assert server.mlflow("GET", "experiments/get", {"experiment_id": exp})["experiment"]["artifact_location"] == uri
        run = server.new_run(exp)["info"]
        assert run["artifact_uri"] == f"{uri}/{run['run_id']}/artifacts"


def test_artifact_location_of_another_team_is_refused(fresh_server):
    server = fresh_server()
    s = bootstrap(server)
    exp_b = server.mlflow("POST", "experiments/create", {"name": "b-exp"}, token=s["b_member"])["experiment_id"]
    for location in [f"mlflow-artifacts:/{exp_b}", f"mlflow-artifacts:/{exp_b}/sub", "mlflow-artifacts:/999"]:
        r = server.mlflow("POST", "experiments/create", {"name": "a-" + uuid.uuid4().hex, "artifact_location": location},
                          token=s["a_member"], expect=403)
        assert r["error_code"] == "PERMISSION_DENIED" and "'b'" not in r["message"] and "team" not in r["message"]
    exp_a = server.mlflow("POST", "experiments/create", {"name": "a-exp"}, token=s["a_member"])["experiment_id"]
    server.mlflow("POST", "experiments/create", {"name": "a-2", "artifact_location": f"mlflow-artifacts:/{exp_a}/more"},
                  token=s["a_member"])
    server.mlflow("POST", "registered-models/create", {"name": "m-a"}, token=s["a_member"])
    r = server.mlflow("POST", "model-versions/create",
                      {"name": "m-a", "source": f"mlflow-artifacts:/{exp_b}/r/artifacts/model"},
                      token=s["a_member"], expect=403)
    assert r["error_code"] == "PERMISSION_DENIED" and "'b'" not in r["message"]
    server.mlflow("POST", "model-versions/create",
                  {"name": "m-a", "source": f"mlflow-artifacts:/{exp_a}/r/artifacts/model"}, token=s["a_member"])
