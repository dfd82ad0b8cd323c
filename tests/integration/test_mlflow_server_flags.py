"""`plinth server` started the way `mlflow server` is (issue 8, point 2), and
the quick start's model in MLflow's layout (point 4)."""
import os
import subprocess
import tempfile
import uuid

import yaml

from conftest import ROOT, Server, postgres_database


def start(*flags):
    home = tempfile.mkdtemp(prefix="plinth-flags-")
    return Server(home, extra_args=list(flags)).start()


def test_no_serve_artifacts_points_runs_at_the_file_root(tmp_path):
    root = tmp_path / "artifact-root"
    db = tmp_path / "mlflow.db"
    server = start("--backend-store-uri", f"sqlite:///{db}",
                   "--default-artifact-root", f"file://{root}/", "--no-serve-artifacts")
    try:
        exp = server.mlflow("POST", "experiments/create", {"name": "flags-" + uuid.uuid4().hex[:6]})
        experiment = server.mlflow("GET", "experiments/get", {"experiment_id": exp["experiment_id"]})
        location = experiment["experiment"]["artifact_location"]
        assert location == f"file://{root}/{exp['experiment_id']}"
        run = server.mlflow("POST", "runs/create", {"experiment_id": exp["experiment_id"]})["run"]
        assert run["info"]["artifact_uri"] == f"{location}/{run['info']['run_id']}/artifacts"
        # mlflow server's liveness probe answers the same way.
        health = server.call("GET", "/health")
        assert (health.status_code, health.text) == (200, "OK")
        # The database is the file named by --backend-store-uri.
        assert db.exists() and not os.path.exists(os.path.join(server.home, "plinth.db"))
        # The proxy is off, as in MLflow: clients write to the root themselves.
        r = server.call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": ""})
        assert r.status_code == 404
        # A client writes into the run's folder itself; artifacts/list and the
        # UI's upload-artifact still serve it, as MLflow's server does.
        folder = root / exp["experiment_id"] / run["info"]["run_id"] / "artifacts"
        (folder / "model").mkdir(parents=True)
        (folder / "model" / "MLmodel").write_text("flavors: {}\n")
        run_id = run["info"]["run_id"]
        listing = server.mlflow("GET", "artifacts/list", {"run_id": run_id})
        assert listing["root_uri"] == run["info"]["artifact_uri"]
        assert listing["files"] == [{"path": "model", "is_dir": True}]
        inner = server.mlflow("GET", "artifacts/list", {"run_id": run_id, "path": "model"})
        assert inner["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 12}]
        up = server.call("POST", "/ajax-api/2.0/mlflow/upload-artifact",
                         params={"run_uuid": run_id, "path": "notes.txt"}, data=b"hello")
        assert up.status_code == 200, up.text
        assert (folder / "notes.txt").read_bytes() == b"hello"
        # A location outside the root is not read by the server.
        other = server.mlflow("POST", "experiments/create",
                              {"name": "elsewhere-" + uuid.uuid4().hex[:6],
                               "artifact_location": f"file://{tmp_path}/elsewhere"})
        far = server.mlflow("POST", "runs/create", {"experiment_id": other["experiment_id"]})["run"]
        r = server.call("GET", "/api/2.0/mlflow/artifacts/list", params={"run_id": far["info"]["run_id"]})
        assert r.status_code == 400 and "not served by this server" in r.json()["message"]
    finally:
        server.stop()


def test_artifacts_destination_holds_the_proxied_files(tmp_path):
    dest = tmp_path / "dest"
    server = start("--artifacts-destination", str(dest), "--serve-artifacts")
    try:
        run = server.new_run()
        uri = run["info"]["artifact_uri"]
        assert uri.startswith("mlflow-artifacts:/")
        path = uri[len("mlflow-artifacts:/"):] + "/model/weights.bin"
        r = server.call("PUT", "/api/2.0/mlflow-artifacts/artifacts/" + path, data=b"w" * 100)
        assert r.status_code == 200, r.text
        assert (dest / path).read_bytes() == b"w" * 100
        assert not os.path.exists(os.path.join(server.home, "artifacts", path))
    finally:
        server.stop()


def test_backend_store_uri_takes_postgresql():
    server = start("--backend-store-uri", postgres_database())
    try:
        assert 'database="postgresql"' in server.call("GET", "/metrics").text
    finally:
        server.stop()


def test_quickstart_logs_its_model_in_mlflows_layout(tmp_path):
    server = start()
    try:
        env = dict(os.environ, MLFLOW_TRACKING_URI=server.url, PLINTH_URL=server.url,
                   QUICKSTART_MODEL="layout-" + uuid.uuid4().hex[:6])
        env.pop("MLFLOW_RUN_ID", None)
        r = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "examples", "quickstart", "train.py")],
                           capture_output=True, text=True, env=env, timeout=300)
        assert r.returncode == 0, r.stderr
        run_id = [line.split("=", 1)[1] for line in r.stdout.splitlines() if line.startswith("RUN_ID=")][0]
        run = server.mlflow("GET", "runs/get", {"run_id": run_id})["run"]
        base = run["info"]["artifact_uri"][len("mlflow-artifacts:/"):]
        listing = server.call("GET", "/api/2.0/mlflow-artifacts/artifacts", params={"path": base + "/model"}).json()
        assert {f["path"] for f in listing["files"]} >= {"MLmodel", "data", "model.pt"}
        mlmodel = yaml.safe_load(server.call("GET", f"/api/2.0/mlflow-artifacts/artifacts/{base}/model/MLmodel").text)
        assert mlmodel["run_id"] == run_id and mlmodel["artifact_path"] == "model"
        assert mlmodel["flavors"]["pytorch"]["model_data"] == "data"
        assert mlmodel["flavors"]["python_function"]["loader_module"] == "mlflow.pytorch"
        tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        history = yaml.safe_load(tags["mlflow.log-model.history"])
        assert history[0]["run_id"] == run_id and history[0]["model_uuid"] == mlmodel["model_uuid"]
    finally:
        server.stop()
