"""`plinth import mlflow`: builds MLflow stores the way MLflow lays them out
(the SQLAlchemy schema on SQLite and on PostgreSQL, and an mlruns/ folder),
imports them into a fresh Plinth home, then reads every row back through the
MLflow REST API of a `plinth server` started on that home."""
import os
import re
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import PLINTH_BIN, Server, postgres_database

# MLflow 2.x's schema as MLflow's own migrations leave it on SQLite
# (mlflow/mlflow tests/resources/db/latest_schema.sql), less the trace tables.
MLFLOW_DDL = """
CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE experiments (experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256), lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT, CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name), CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE input_tags (input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value VARCHAR(500) NOT NULL, CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name));
CREATE TABLE inputs (input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL, source_id VARCHAR(36) NOT NULL, destination_type VARCHAR(36) NOT NULL, destination_id VARCHAR(36) NOT NULL, CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id));
CREATE TABLE registered_models (name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000), CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name));
CREATE TABLE datasets (dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL, digest VARCHAR(36) NOT NULL, dataset_source_type VARCHAR(36) NOT NULL, dataset_source TEXT NOT NULL, dataset_schema TEXT, dataset_profile TEXT, CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE experiment_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id INTEGER NOT NULL, CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE model_versions (name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500), run_link VARCHAR(500), storage_location VARCHAR(500), CONSTRAINT model_version_pk PRIMARY KEY (name, version), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
CREATE TABLE registered_model_aliases (alias VARCHAR(256) NOT NULL, version INTEGER NOT NULL, name VARCHAR(256) NOT NULL, CONSTRAINT registered_model_alias_pk PRIMARY KEY (name, alias), CONSTRAINT registered_model_alias_name_fkey FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE);
CREATE TABLE registered_model_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL, CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name), FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE CASCADE);
CREATE TABLE runs (run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250), source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50), user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20), artifact_uri VARCHAR(200), experiment_id INTEGER, deleted_time BIGINT, CONSTRAINT run_pk PRIMARY KEY (run_uuid), FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id), CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')), CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')), CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')));
CREATE TABLE latest_metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL, is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL, CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
CREATE TABLE metrics (key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL, run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL, is_nan BOOLEAN DEFAULT '0' NOT NULL, CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
CREATE TABLE model_version_tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version), FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE);
CREATE TABLE params (key VARCHAR(250) NOT NULL, value VARCHAR(8000) NOT NULL, run_uuid VARCHAR(32) NOT NULL, CONSTRAINT param_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE tags (key VARCHAR(250) NOT NULL, value VARCHAR(5000), run_uuid VARCHAR(32) NOT NULL, CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
"""


def postgres_ddl():
    """The same schema as MLflow creates it on PostgreSQL: FLOAT is double
    precision and is_nan a real boolean."""
    ddl = MLFLOW_DDL.replace("FLOAT", "DOUBLE PRECISION")
    ddl = ddl.replace("BOOLEAN DEFAULT '0'", "BOOLEAN DEFAULT false")
    return ddl.replace(", CHECK (is_nan IN (0, 1))", "")


def make_dataset(artifact_dir):
    """The MLflow store's content, as rows; artifact files under artifact_dir."""
    exps = [(0, "Default", "active"), (1, "exp-a", "active"), (2, "exp-b", "deleted")]
    runs, params, tags, metrics = [], [], [], []
    for e, (exp_id, _, stage) in enumerate(exps):
        for i in range(3):
            run_id = f"{exp_id:02d}{i:02d}" + "ab" * 14
            art = os.path.join(artifact_dir, str(exp_id), run_id, "artifacts")
            os.makedirs(os.path.join(art, "model"), exist_ok=True)
            with open(os.path.join(art, "model", "MLmodel"), "w") as f:
                f.write(f"run {run_id}\n")
            runs.append(dict(run_uuid=run_id, name=f"run-{exp_id}-{i}", user_id="ann",
                             status="FINISHED" if i else "FAILED", start_time=1000 + i,
                             end_time=2000 + i, lifecycle_stage=stage,
                             artifact_uri="file://" + art, experiment_id=exp_id))
            params += [(run_id, f"p{k}", f"v{k}-{i}") for k in range(3)]
            tags += [(run_id, "mlflow.runName", f"run-{exp_id}-{i}"), (run_id, "team", "vision")]
            for key in ("loss", "acc"):
                metrics += [(run_id, key, s * 0.5 + i, 5000 + s, s) for s in range(20)]
    return exps, runs, params, tags, metrics


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


def mlflow_inserts(artifact_dir, postgres=False):
    """INSERT statements filling the MLflow schema."""
    exps, runs, params, tags, metrics = make_dataset(artifact_dir)
    false, true = ("false", "true") if postgres else ("0", "1")
    out = ["INSERT INTO alembic_version VALUES ('867495a8f9d4')"]
    for exp_id, name, stage in exps:
        out.append(f"INSERT INTO experiments VALUES ({exp_id}, '{name}', 'file://{artifact_dir}/{exp_id}', "
                   f"'{stage}', 111, 222)")
    out.append("INSERT INTO experiment_tags VALUES ('owner', 'vision team', 1)")
    for r in runs:
        out.append("INSERT INTO runs (run_uuid, name, source_type, user_id, status, start_time, end_time, "
                   "lifecycle_stage, artifact_uri, experiment_id, deleted_time) VALUES ("
                   + ", ".join(sql_literal(r[k]) for k in ("run_uuid", "name")) + ", 'LOCAL', "
                   + ", ".join(sql_literal(r[k]) for k in ("user_id", "status", "start_time", "end_time",
                                                           "lifecycle_stage", "artifact_uri", "experiment_id"))
                   + (", 3000)" if r["lifecycle_stage"] == "deleted" else ", NULL)"))
    for run_id, k, v in params:
        out.append(f"INSERT INTO params VALUES ('{k}', '{v}', '{run_id}')")
    for run_id, k, v in tags:
        out.append(f"INSERT INTO tags VALUES ('{k}', '{v}', '{run_id}')")
    for run_id, k, v, ts, step in metrics:
        out.append(f"INSERT INTO metrics VALUES ('{k}', {v!r}, {ts}, '{run_id}', {step}, {false})")
    run0 = runs[3]["run_uuid"]  # exp-a's first run
    out += [
        "INSERT INTO datasets VALUES ('d1', 1, 'train', 'abc123', 'local', '{\"uri\": \"/data\"}', '{}', NULL)",
        f"INSERT INTO inputs VALUES ('i1', 'DATASET', 'd1', 'RUN', '{run0}')",
        "INSERT INTO input_tags VALUES ('i1', 'mlflow.data.context', 'training')",
        "INSERT INTO registered_models VALUES ('clf', 10, 20, 'a classifier')",
        "INSERT INTO registered_model_tags VALUES ('task', 'vision', 'clf')",
        f"INSERT INTO model_versions VALUES ('clf', 1, 11, 21, 'v one', 'ann', 'Archived', "
        f"'runs:/{run0}/model', '{run0}', 'READY', '', '', 'file://{artifact_dir}/1/{run0}/artifacts/model')",
        f"INSERT INTO model_versions VALUES ('clf', 2, 12, 22, '', 'ann', 'Production', "
        f"'runs:/{run0}/model', '{run0}', 'READY', '', '', NULL)",
        f"INSERT INTO model_versions VALUES ('clf', 3, 13, 23, '', 'ann', 'Deleted_Internal', "
        f"'runs:/{run0}/model', '{run0}', 'READY', '', '', NULL)",
        "INSERT INTO model_version_tags VALUES ('validated', 'yes', 'clf', 2)",
        "INSERT INTO registered_model_aliases VALUES ('champion', 2, 'clf')",
    ]
    return out, (exps, runs, params, tags, metrics)


def build_sqlite_store(root):
    art = os.path.join(root, "mlartifacts")
    stmts, data = mlflow_inserts(art)
    db = os.path.join(root, "mlflow.db")
    con = sqlite3.connect(db)
    con.executescript(MLFLOW_DDL)
    for s in stmts:
        con.execute(s)
    con.commit()
    con.close()
    return "sqlite:///" + db, data


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q"], input=sql, text=True,
                   check=True, capture_output=True)


def build_postgres_store(root):
    url = postgres_database()
    stmts, data = mlflow_inserts(os.path.join(root, "mlartifacts"), postgres=True)
    psql(url, postgres_ddl() + ";\n".join(stmts) + ";\n")
    return url, data


def run_import(*args, check=True):
    p = subprocess.run([PLINTH_BIN, "import", "mlflow", "--quiet", *args], capture_output=True,
                       text=True, timeout=300)
    if check:
        assert p.returncode == 0, p.stderr + p.stdout
    return p


def report(stdout):
    """{kind: (in_source, imported)} from the import's final table."""
    out = {}
    for line in stdout.splitlines()[1:]:
        m = re.match(r"^(.+?)\s+(\d+)(?:\s+(\d+))?$", line)
        if m:
            out[m.group(1)] = (int(m.group(2)), int(m.group(3)) if m.group(3) else None)
    return out


def check_plinth_matches(server, data):
    exps, runs, params, tags, metrics = data
    for exp_id, name, stage in exps:
        e = server.mlflow("GET", "experiments/get-by-name", {"experiment_name": name})["experiment"]
        assert e["experiment_id"] == str(exp_id)
        assert e["lifecycle_stage"] == stage
    e1 = server.mlflow("GET", "experiments/get", {"experiment_id": "1"})["experiment"]
    assert {"key": "owner", "value": "vision team"} in e1.get("tags", [])
    for r in runs:
        got = server.mlflow("GET", "runs/get", {"run_id": r["run_uuid"]})["run"]
        info = got["info"]
        assert info["run_id"] == r["run_uuid"]
        assert info["experiment_id"] == str(r["experiment_id"])
        assert info["status"] == r["status"]
        assert info["lifecycle_stage"] == r["lifecycle_stage"]
        assert int(info["start_time"]) == r["start_time"]
        assert int(info["end_time"]) == r["end_time"]
        assert info["run_name"] == r["name"]
        assert sorted((p["key"], p["value"]) for p in got["data"]["params"]) == sorted(
            (k, v) for run_id, k, v in params if run_id == r["run_uuid"])
        assert sorted((t["key"], t["value"]) for t in got["data"]["tags"]) == sorted(
            (k, v) for run_id, k, v in tags if run_id == r["run_uuid"])
        for key in ("loss", "acc"):
            hist = server.mlflow("GET", "metrics/get-history", {"run_id": r["run_uuid"], "metric_key": key})
            assert sorted((m["step"] if isinstance(m["step"], int) else int(m["step"]),
                           int(m["timestamp"]), m["value"]) for m in hist["metrics"]) == sorted(
                (step, ts, v) for run_id, k, v, ts, step in metrics if run_id == r["run_uuid"] and k == key)
        # The artifact URI resolves in Plinth and the file downloads.
        listing = server.mlflow("GET", "artifacts/list", {"run_id": r["run_uuid"], "path": "model"})
        assert [f["path"] for f in listing["files"]] == ["model/MLmodel"]
        path = info["artifact_uri"].replace("mlflow-artifacts:/", "")
        body = server.call("GET", f"/api/2.0/mlflow-artifacts/artifacts/{path}/model/MLmodel")
        assert body.status_code == 200 and body.text == f"run {r['run_uuid']}\n"
    run0 = runs[3]["run_uuid"]
    inputs = server.mlflow("GET", "runs/get", {"run_id": run0})["run"]["inputs"]["dataset_inputs"]
    assert [(i["dataset"]["name"], i["dataset"]["digest"]) for i in inputs] == [("train", "abc123")]
    assert {"key": "mlflow.data.context", "value": "training"} in inputs[0]["tags"]
    model = server.mlflow("GET", "registered-models/get", {"name": "clf"})["registered_model"]
    assert model["description"] == "a classifier"
    assert {"key": "task", "value": "vision"} in model["tags"]
    v1 = server.mlflow("GET", "model-versions/get", {"name": "clf", "version": "1"})["model_version"]
    v2 = server.mlflow("GET", "model-versions/get", {"name": "clf", "version": "2"})["model_version"]
    assert (v1["current_stage"], v2["current_stage"]) == ("Archived", "Production")
    assert v1["run_id"] == run0 and v1["description"] == "v one"
    assert {"key": "validated", "value": "yes"} in v2["tags"]
    server.mlflow("GET", "model-versions/get", {"name": "clf", "version": "3"}, expect=404)
    alias = server.mlflow("GET", "registered-models/alias", {"name": "clf", "alias": "champion"})
    assert alias["model_version"]["version"] == "2"
    # Version numbers are never reused: the next one after the deleted 3 is 4.
    created = server.mlflow("POST", "model-versions/create", {"name": "clf", "source": "s3://x"})
    assert created["model_version"]["version"] == "4"


EXPECTED = {"experiments": 3, "experiment tags": 1, "runs": 9, "params": 27, "tags": 18,
            "metric points": 360, "datasets/inputs": 1, "models": 1, "model tags": 2,
            "versions": 2, "aliases": 1, "artifacts": 9}


def import_and_check(source_uri, data, extra=()):
    home = tempfile.mkdtemp(prefix="plinth-import-")
    first = run_import("--from", source_uri, "--home", home, *extra)
    counts = report(first.stdout)
    for kind, n in EXPECTED.items():
        assert counts[kind] == (n, n), (kind, first.stdout)
    again = run_import("--from", source_uri, "--home", home, *extra)
    for kind, n in EXPECTED.items():
        assert report(again.stdout)[kind] == (n, 0), (kind, again.stdout)
    server = Server(home).start()
    try:
        check_plinth_matches(server, data)
    finally:
        server.stop()


def test_sqlite_store_imports_every_row_and_is_idempotent(tmp_path):
    uri, data = build_sqlite_store(str(tmp_path))
    import_and_check(uri, data)


def test_postgres_store_imports_every_row(tmp_path):
    uri, data = build_postgres_store(str(tmp_path))
    import_and_check(uri, data)


RUN_STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def build_mlruns_store(root):
    """The same content as an mlruns/ folder, laid out as MLflow's FileStore
    writes it (deleted experiments under .trash/, the registry under models/)."""
    art = os.path.join(root, "mlartifacts")
    exps, runs, params, tags, metrics = data = make_dataset(art)
    mlruns = os.path.join(root, "mlruns")
    exp_dir = {}
    for exp_id, name, stage in exps:
        d = os.path.join(mlruns, ".trash" if stage == "deleted" else "", str(exp_id))
        exp_dir[exp_id] = d
        write(os.path.join(d, "meta.yaml"),
              f"artifact_location: file://{art}/{exp_id}\ncreation_time: 111\nexperiment_id: '{exp_id}'\n"
              f"last_update_time: 222\nlifecycle_stage: {stage}\nname: {name}\n")
    write(os.path.join(exp_dir[1], "tags", "owner"), "vision team")
    for r in runs:
        d = os.path.join(exp_dir[r["experiment_id"]], r["run_uuid"])
        deleted = "deleted_time: 3000\n" if r["lifecycle_stage"] == "deleted" else ""
        write(os.path.join(d, "meta.yaml"),
              f"artifact_uri: {r['artifact_uri']}\n{deleted}end_time: {r['end_time']}\nentry_point_name: ''\n"
              f"experiment_id: '{r['experiment_id']}'\nlifecycle_stage: {r['lifecycle_stage']}\n"
              f"run_id: {r['run_uuid']}\nrun_name: {r['name']}\nrun_uuid: {r['run_uuid']}\nsource_name: ''\n"
              f"source_type: 4\nsource_version: ''\nstart_time: {r['start_time']}\n"
              f"status: {RUN_STATUS[r['status']]}\ntags: []\nuser_id: {r['user_id']}\n")
        for run_id, k, v in params:
            if run_id == r["run_uuid"]:
                write(os.path.join(d, "params", k), v)
        for run_id, k, v in tags:
            if run_id == r["run_uuid"]:
                write(os.path.join(d, "tags", k), v)
        for key in ("loss", "acc"):
            lines = [f"{ts} {v!r} {step}\n" for run_id, k, v, ts, step in metrics
                     if run_id == r["run_uuid"] and k == key]
            write(os.path.join(d, "metrics", key), "".join(lines))
    run0 = runs[3]["run_uuid"]
    write(os.path.join(exp_dir[1], "datasets", "d1", "meta.yaml"),
          "digest: abc123\nname: train\nprofile: '{}'\nschema: ''\nsource: '{\"uri\": \"/data\"}'\n"
          "source_type: local\n")
    write(os.path.join(exp_dir[1], run0, "inputs", "i1", "meta.yaml"),
          f"destination_id: d1\ndestination_type: RUN\nsource_id: d1\nsource_type: DATASET\n"
          f"tags:\n  mlflow.data.context: training\n")
    m = os.path.join(mlruns, "models", "clf")
    write(os.path.join(m, "meta.yaml"),
          "creation_timestamp: 10\ndescription: a classifier\nlast_updated_timestamp: 20\nname: clf\n")
    write(os.path.join(m, "tags", "task"), "vision")
    write(os.path.join(m, "aliases", "champion"), "2")
    for n, stage, desc in ((1, "Archived", "v one"), (2, "Production", "''"), (3, "Deleted_Internal", "''")):
        write(os.path.join(m, f"version-{n}", "meta.yaml"),
              f"creation_timestamp: {10 + n}\ncurrent_stage: {stage}\ndescription: {desc}\n"
              f"last_updated_timestamp: {20 + n}\nname: clf\nrun_id: {run0}\nrun_link: ''\n"
              f"source: runs:/{run0}/model\nstatus: READY\nstatus_message: ''\nuser_id: ann\nversion: {n}\n")
    write(os.path.join(m, "version-2", "tags", "validated"), "yes")
    return "file://" + mlruns, data


def test_mlruns_folder_imports_every_row(tmp_path):
    uri, data = build_mlruns_store(str(tmp_path))
    import_and_check(uri, data)


def test_dry_run_writes_nothing_and_counts(tmp_path):
    uri, _ = build_sqlite_store(str(tmp_path))
    home = str(tmp_path / "home")
    p = run_import("--from", uri, "--home", home, "--dry-run")
    counts = report(p.stdout)
    for kind, n in EXPECTED.items():
        assert counts[kind][0] == n, (kind, p.stdout)
    assert not os.path.exists(home)


def test_experiments_filter_imports_only_those(tmp_path):
    uri, (exps, runs, *_rest) = build_sqlite_store(str(tmp_path))
    home = str(tmp_path / "home")
    p = run_import("--from", uri, "--home", home, "--experiments", "exp-a")
    counts = report(p.stdout)
    assert counts["experiments"] == (1, 1) and counts["runs"] == (3, 3)
    assert counts["metric points"] == (120, 120) and counts["models"] == (1, 1)
    server = Server(home).start()
    try:
        server.mlflow("GET", "experiments/get-by-name", {"experiment_name": "exp-b"}, expect=404)
        server.mlflow("GET", "runs/get", {"run_id": runs[3]["run_uuid"]})
        server.mlflow("GET", "runs/get", {"run_id": runs[6]["run_uuid"]}, expect=404)
    finally:
        server.stop()
    bad = run_import("--from", uri, "--home", home, "--experiments", "nope", check=False)
    assert bad.returncode != 0 and "no experiment named 'nope'" in bad.stderr


def test_a_store_of_100000_runs(tmp_path):
    """The issue's store size in runs (each small here; the benchmark gives
    each 20 params x 20 metrics x 100 points): every run arrives, with its
    param, tag and metric, and a second import adds nothing."""
    n = 100_000
    db = str(tmp_path / "many.db")
    con = sqlite3.connect(db)
    con.executescript(MLFLOW_DDL)
    con.execute("INSERT INTO alembic_version VALUES ('867495a8f9d4')")
    con.execute("INSERT INTO experiments VALUES (0, 'Default', '/tmp/none', 'active', 1, 1)")
    ids = [f"{i:032x}" for i in range(n)]
    con.executemany("INSERT INTO runs (run_uuid, name, status, start_time, lifecycle_stage, "
                    "artifact_uri, experiment_id) VALUES (?, ?, 'FINISHED', ?, 'active', "
                    "'s3://bucket/x', 0)", ((r, f"run-{i}", 1000 + i) for i, r in enumerate(ids)))
    con.executemany("INSERT INTO params VALUES ('lr', ?, ?)", ((str(i), r) for i, r in enumerate(ids)))
    con.executemany("INSERT INTO tags VALUES ('team', 'x', ?)", ((r,) for r in ids))
    con.executemany("INSERT INTO metrics VALUES ('loss', ?, 5, ?, 0, 0)",
                    ((i * 0.5, r) for i, r in enumerate(ids)))
    con.commit()
    con.close()
    home = str(tmp_path / "home")
    first = report(run_import("--from", "sqlite:///" + db, "--home", home).stdout)
    for kind in ("runs", "params", "tags", "metric points"):
        assert first[kind] == (n, n), (kind, first)
    again = report(run_import("--from", "sqlite:///" + db, "--home", home).stdout)
    assert again["runs"] == (n, 0) and again["metric points"] == (n, 0)
    plinth = sqlite3.connect(os.path.join(home, "plinth.db"))
    assert plinth.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == n
    # Spot checks through the API: ids kept, values intact.
    server = Server(home).start()
    try:
        for i in (0, 4242, n - 1):
            run = server.mlflow("GET", "runs/get", {"run_id": ids[i]})["run"]
            assert run["info"]["run_name"] == f"run-{i}"
            assert {"key": "lr", "value": str(i)} in run["data"]["params"]
            assert run["data"]["metrics"][0]["value"] == i * 0.5
    finally:
        server.stop()


def test_interrupted_import_resumes(tmp_path):
    db = str(tmp_path / "big.db")
    con = sqlite3.connect(db)
    con.executescript(MLFLOW_DDL)
    con.execute("INSERT INTO alembic_version VALUES ('867495a8f9d4')")
    con.execute("INSERT INTO experiments VALUES (0, 'Default', '/tmp/none', 'active', 1, 1)")
    for r in ("a" * 32, "b" * 32):
        con.execute("INSERT INTO runs (run_uuid, name, status, start_time, lifecycle_stage, artifact_uri, "
                    "experiment_id) VALUES (?, 'r', 'FINISHED', 1, 'active', '/tmp/none', 0)", (r,))
        con.executemany("INSERT INTO metrics VALUES ('loss', ?, ?, ?, ?, 0)",
                        ((s * 0.25, 1000 + s, r, s) for s in range(150000)))
    con.commit()
    con.close()
    home = str(tmp_path / "home")
    stopped = run_import("--from", "sqlite:///" + db, "--home", home, "--stop-after-points", "1", check=False)
    assert stopped.returncode != 0 and "interrupted" in stopped.stderr
    plinth_db = os.path.join(home, "plinth.db")
    partial = sqlite3.connect(plinth_db).execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    assert 0 < partial < 300000
    resumed = run_import("--from", "sqlite:///" + db, "--home", home)
    assert report(resumed.stdout)["metric points"] == (300000, 300000 - partial)
    assert report(resumed.stdout)["runs"] == (2, 0)
    con = sqlite3.connect(plinth_db)
    assert con.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 300000
    assert con.execute("SELECT COUNT(*) FROM latest_metrics").fetchone()[0] == 2
    assert con.execute("SELECT MAX(step) FROM latest_metrics").fetchone()[0] == 149999
    # The step summaries that sampled reads use survive the interruption.
    assert con.execute("SELECT DISTINCT step_first, step_last, step_stride, steps_regular "
                       "FROM latest_metrics").fetchall() == [(0, 149999, 1, 1)]
    again = run_import("--from", "sqlite:///" + db, "--home", home)
    assert report(again.stdout)["metric points"] == (300000, 0)


def test_name_collision_is_reported(tmp_path):
    uri, _ = build_sqlite_store(str(tmp_path))
    home = str(tmp_path / "home")
    os.makedirs(home)
    server = Server(home).start()
    try:
        server.mlflow("POST", "experiments/create", {"name": "other"})  # takes id 1
        server.mlflow("POST", "experiments/create", {"name": "exp-a"})  # id 2, exp-b's MLflow id
        server.mlflow("POST", "registered-models/create", {"name": "clf", "description": "mine"})
    finally:
        server.stop()
    p = run_import("--from", uri, "--home", home, check=False)
    assert p.returncode == 2
    assert "experiment 'exp-a' (MLflow id 1) not imported" in p.stderr
    assert "registered model 'clf' not imported: Plinth already has" in p.stderr
    assert report(p.stdout)["models"] == (1, 0)
    counts = report(p.stdout)
    assert counts["runs"] == (9, 6)
    # exp-b's id was taken: it got a new one, and its runs kept their ids.
    server = Server(home).start()
    try:
        moved = server.mlflow("GET", "experiments/get-by-name", {"experiment_name": "exp-b"})
        new_id = moved["experiment"]["experiment_id"]
        assert new_id not in ("1", "2")
        run = server.mlflow("GET", "runs/get", {"run_id": "0200" + "ab" * 14})["run"]
        assert run["info"]["experiment_id"] == new_id
    finally:
        server.stop()


def test_team_is_created_and_owns_what_was_imported(tmp_path):
    uri, _ = build_sqlite_store(str(tmp_path))
    home = str(tmp_path / "home")
    run_import("--from", uri, "--home", home, "--team", "research")
    con = sqlite3.connect(os.path.join(home, "plinth.db"))
    assert ("research",) in con.execute("SELECT name FROM teams").fetchall()
    assert {t for (t,) in con.execute("SELECT DISTINCT team FROM experiments WHERE name LIKE "
                                      "'exp-%'")} == {"research"}
    assert con.execute("SELECT team FROM registered_models WHERE name = 'clf'").fetchone() == (
        "research",)
    # The team can be given an admin token at once (offline, as operators do).
    p = subprocess.run([PLINTH_BIN, "admin", "create-token", "--home", home, "--team", "research",
                        "--role", "admin", "--name", "ops"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    bad = run_import("--from", uri, "--home", str(tmp_path / "h2"), "--team", "no spaces",
                     check=False)
    assert bad.returncode == 1 and "team" in bad.stderr.lower()


@pytest.mark.parametrize("source, message", [
    ("/nonexistent/mlruns", "no MLflow store at /nonexistent/mlruns"),
    ("sqlite:///nonexistent.db", "no MLflow database at nonexistent.db"),
    ("s3://bucket/x", "unsupported MLflow store"),
    ("postgresql://nobody@127.0.0.1:1/x", ""),
])
def test_bad_source_is_one_clear_error(tmp_path, source, message):
    p = run_import("--from", source, "--home", str(tmp_path / "home"), check=False)
    assert p.returncode != 0
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("plinth import: "), p.stderr
    assert message in lines[0]


def test_not_an_mlflow_database(tmp_path):
    db = str(tmp_path / "other.db")
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    p = run_import("--from", "sqlite:///" + db, "--home", str(tmp_path / "home"), check=False)
    assert p.returncode != 0 and "is not an MLflow tracking database" in p.stderr
