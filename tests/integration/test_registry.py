"""MLflow model registry over HTTP, on SQLite and PostgreSQL."""
import uuid


def model_name():
    return "model-" + uuid.uuid4().hex[:8]


def test_model_lifecycle(server):
    run = server.new_run()
    run_id = run["info"]["run_id"]
    name = model_name()
    rm = server.mlflow("POST", "registered-models/create",
                       {"name": name, "description": "d", "tags": [{"key": "k", "value": "v"}]})["registered_model"]
    assert rm["name"] == name and rm["tags"] == [{"key": "k", "value": "v"}]
    r = server.mlflow("POST", "registered-models/create", {"name": name}, expect=400)
    assert r["error_code"] == "RESOURCE_ALREADY_EXISTS"

    v1 = server.mlflow("POST", "model-versions/create",
                       {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id})["model_version"]
    v2 = server.mlflow("POST", "model-versions/create",
                       {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id})["model_version"]
    assert (v1["version"], v2["version"]) == ("1", "2")
    assert v1["current_stage"] == "None" and v1["status"] == "READY"

    uri = server.mlflow("GET", "model-versions/get-download-uri", {"name": name, "version": "1"})["artifact_uri"]
    assert uri == run["info"]["artifact_uri"] + "/model"

    server.mlflow("POST", "registered-models/alias", {"name": name, "alias": "champion", "version": "2"})
    got = server.mlflow("GET", "registered-models/alias", {"name": name, "alias": "champion"})["model_version"]
    assert got["version"] == "2" and got["aliases"] == ["champion"]
    r = server.mlflow("POST", "registered-models/alias", {"name": name, "alias": "latest", "version": "1"}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"

    server.mlflow("POST", "model-versions/transition-stage",
                  {"name": name, "version": "1", "stage": "production", "archive_existing_versions": False})
    mv = server.mlflow("POST", "model-versions/transition-stage",
                       {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": True})
    assert mv["model_version"]["current_stage"] == "Production"
    v1_now = server.mlflow("GET", "model-versions/get", {"name": name, "version": "1"})["model_version"]
    assert v1_now["current_stage"] == "Archived"
    latest = server.mlflow("POST", "registered-models/get-latest-versions",
                           {"name": name, "stages": ["Production"]})["model_versions"]
    assert [v["version"] for v in latest] == ["2"]

    server.mlflow("POST", "model-versions/set-tag", {"name": name, "version": "2", "key": "q", "value": "1"})
    server.mlflow("DELETE", "model-versions/delete-tag", {"name": name, "version": "2", "key": "q"})
    server.mlflow("PATCH", "model-versions/update", {"name": name, "version": "2", "description": "best"})
    assert server.mlflow("GET", "model-versions/get", {"name": name, "version": "2"})["model_version"][
        "description"] == "best"

    found = server.mlflow("GET", "model-versions/search", {"filter": f"name = '{name}'"})["model_versions"]
    assert sorted(v["version"] for v in found) == ["1", "2"]
    models = server.mlflow("GET", "registered-models/search", {"filter": f"name LIKE '{name[:10]}%'"})
    assert name in [m["name"] for m in models["registered_models"]]

    new_name = name + "-renamed"
    server.mlflow("POST", "registered-models/rename", {"name": name, "new_name": new_name})
    assert server.mlflow("GET", "registered-models/alias", {"name": new_name, "alias": "champion"})[
        "model_version"]["version"] == "2"
    server.mlflow("DELETE", "model-versions/delete", {"name": new_name, "version": "1"})
    v3 = server.mlflow("POST", "model-versions/create", {"name": new_name, "source": "s3://bucket/m"})["model_version"]
    assert v3["version"] == "3"  # numbers are never reused
    server.mlflow("DELETE", "registered-models/delete", {"name": new_name})
    r = server.mlflow("GET", "registered-models/get", {"name": new_name}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_registry_bad_input(server):
    r = server.mlflow("POST", "registered-models/create", {}, expect=400)
    assert "name" in r["message"]
    r = server.mlflow("GET", "model-versions/get", {"name": "nope-" + uuid.uuid4().hex, "version": "1"}, expect=404)
    assert r["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    name = model_name()
    server.mlflow("POST", "registered-models/create", {"name": name})
    server.mlflow("POST", "model-versions/create", {"name": name, "source": "s3://b/m"})
    r = server.mlflow("POST", "model-versions/transition-stage", {"name": name, "version": "1", "stage": "Bogus"},
                      expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
    r = server.mlflow("GET", "registered-models/search", {"max_results": 1001}, expect=400)
    assert r["error_code"] == "INVALID_PARAMETER_VALUE"
