"""Artifacts: the mlflow-artifacts proxy and artifacts/list."""
import http.client
import os


def proxy_path(run):
    return run["info"]["artifact_uri"][len("mlflow-artifacts:/"):]


def test_put_get_list_delete(server):
    run = server.new_run()
    base = "/api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run)
    payload = os.urandom(300_000)
    assert server.call("PUT", base + "/model/model.pt", data=payload).status_code == 200
    assert server.call("PUT", base + "/notes.txt", data=b"hello").status_code == 200
    r = server.call("GET", base + "/model/model.pt")
    assert r.status_code == 200 and r.content == payload

    listed = server.mlflow("GET", "artifacts/list", {"run_id": run["info"]["run_id"]})
    assert listed["root_uri"] == run["info"]["artifact_uri"]
    files = {f["path"]: f for f in listed["files"]}
    assert files["model"]["is_dir"] is True
    assert files["notes.txt"]["file_size"] == 5
    sub = server.mlflow("GET", "artifacts/list", {"run_id": run["info"]["run_id"], "path": "model"})
    assert sub["files"] == [{"path": "model/model.pt", "is_dir": False, "file_size": 300_000}]

    r = server.call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": proxy_path(run) + "/model"})
    assert r.json()["files"] == [{"path": "model.pt", "is_dir": False, "file_size": 300_000}]

    assert server.call("DELETE", base + "/notes.txt").status_code == 200
    assert server.call("GET", base + "/notes.txt").status_code == 404


def raw_put(server, path, body):
    """PUT without client-side path normalization (requests would collapse '..')."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("PUT", path, body=body)
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status


def test_paths_cannot_escape(server):
    run = server.new_run()
    base = "/api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run)
    for bad in ["/../../../../escaped.txt", "/a/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/escaped.txt",
                "/..%2f..%2f..%2f..%2fescaped.txt"]:
        status = raw_put(server, base + bad, b"x")
        assert status in (400, 403), (bad, status)
    assert not os.path.exists(os.path.join(server.home, "escaped.txt"))
    r = server.mlflow("GET", "artifacts/list", {"run_id": run["info"]["run_id"], "path": "../.."}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not os.path.exists(os.path.join(server.home, "x"))


def test_missing_artifact_is_404(server):
    run = server.new_run()
    r = server.call("GET", "/api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run) + "/none.bin")
    assert r.status_code == 404
    assert r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_ajax_api_proxy_alias(server):
    run = server.new_run()
    path = "/ajax-api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run) + "/a.txt"
    assert server.call("PUT", path, data=b"ajax").status_code == 200
    r = server.call("GET", "/api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run) + "/a.txt")
    assert r.content == b"ajax"


def test_large_upload_within_artifact_limit(server):
    run = server.new_run()
    path = "/api/2.0/mlflow-artifacts/artifacts/" + proxy_path(run) + "/big.bin"
    payload = os.urandom(5 << 20)
    assert server.call("PUT", path, data=payload).status_code == 200
    assert server.call("GET", path).content == payload
