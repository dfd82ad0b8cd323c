"""End-to-end tests of the `plinth` command-line client against a real server.

Each test class starts `plinth server` on a free port with a temporary home
and runs the CLI as a user would: exit codes, one clear stderr line on
failure, JSON output parsed, artifacts round-tripped byte for byte, charts
present in `runs show`. Standard library only (unittest), so it runs under
`python3 -m unittest` as well as `python3 -m pytest`.

The binary is $PLINTH_BIN (default: build/plinth in the repository).
"""
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLINTH_BIN = os.environ.get("PLINTH_BIN", os.path.join(ROOT, "build", "plinth"))
SPARK_CHARS = set("▁▂▃▄▅▆▇█")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`plinth server` on a free port with a temporary home."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="plinth-cli-test-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.home, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [PLINTH_BIN, "server", "--home", self.home, "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"plinth server exited: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        raise RuntimeError("plinth server did not become healthy: " + self.read_log())

    def read_log(self):
        with open(os.path.join(self.home, "server.log"), "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)

    def mlflow(self, path, body, token=None):
        """POSTs to the MLflow API directly (to set up data the CLI only reads)."""
        req = urllib.request.Request(
            f"{self.url}/api/2.0/mlflow/{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json",
                     **({"Authorization": f"Bearer {token}"} if token else {})})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)


class CliTestCase(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        if not os.access(PLINTH_BIN, os.X_OK):
            raise unittest.SkipTest(f"{PLINTH_BIN} not built (set PLINTH_BIN)")
        cls.server = ServerProcess()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()

    def cli(self, *args, rc=0, token=None, url=None, cwd=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PLINTH_")}
        env["PLINTH_URL"] = url or self.server.url
        if token:
            env["PLINTH_TOKEN"] = token
        p = subprocess.run([PLINTH_BIN, *args], capture_output=True, text=True, env=env,
                           cwd=cwd, timeout=120)
        self.assertEqual(p.returncode, rc,
                         f"plinth {' '.join(args)}: rc={p.returncode}\nstdout: {p.stdout}\n"
                         f"stderr: {p.stderr}")
        if rc != 0:
            # Failures are exactly one line on stderr, starting "plinth: ".
            self.assertTrue(p.stderr.startswith("plinth: "), p.stderr)
            self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        return p

    def cli_json(self, *args, token=None):
        return json.loads(self.cli("--output", "json", *args, token=token).stdout)


class ExperimentsAndRunsTest(CliTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.experiment_id = s.mlflow("experiments/create", {"name": "cli-exp"})["experiment_id"]
        cls.run_ids = []
        for i in range(3):
            run = s.mlflow("runs/create", {"experiment_id": cls.experiment_id,
                                           "run_name": f"trial-{i}", "start_time": 1_700_000_000_000})
            run_id = run["run"]["info"]["run_id"]
            metrics = [{"key": "acc", "value": 0.5 + 0.1 * i + 0.001 * step,
                        "timestamp": 1_700_000_000_000 + step, "step": step} for step in range(50)]
            metrics += [{"key": "loss", "value": math.exp(-step / 10),
                         "timestamp": 1_700_000_000_000 + step, "step": step} for step in range(50)]
            s.mlflow("runs/log-batch", {"run_id": run_id, "metrics": metrics,
                                        "params": [{"key": "lr", "value": str(0.01 * (i + 1))}]})
            s.mlflow("runs/update", {"run_id": run_id, "status": "FINISHED",
                                     "end_time": 1_700_000_065_000})
            cls.run_ids.append(run_id)

    def test_info(self):
        info = self.cli_json("info")
        self.assertIn("version", info)
        self.assertFalse(info["auth"]["enabled"])
        table = self.cli("info").stdout
        self.assertIn("server:", table)
        self.assertIn(self.server.url, table)

    def test_experiment_lifecycle(self):
        created = self.cli_json("experiments", "create", "lifecycle-exp")
        exp_id = created["experiment_id"]
        self.assertIn("Created experiment 'lifecycle-exp-2' with id ",
                      self.cli("experiments", "create", "lifecycle-exp-2").stdout)

        listed = self.cli_json("experiments", "list")["experiments"]
        self.assertIn("lifecycle-exp", [e["name"] for e in listed])
        table = self.cli("experiments", "list").stdout
        self.assertTrue(table.startswith("ID "), table)
        self.assertIn("lifecycle-exp", table)

        self.assertEqual(self.cli_json("experiments", "get", "lifecycle-exp")["experiment"]
                         ["experiment_id"], exp_id)
        self.assertIn("name:", self.cli("experiments", "get", exp_id).stdout)

        self.cli("experiments", "rename", exp_id, "lifecycle-renamed")
        self.cli("experiments", "delete", "lifecycle-renamed")
        deleted = self.cli_json("experiments", "list", "--deleted")["experiments"]
        self.assertEqual([e["name"] for e in deleted], ["lifecycle-renamed"])
        self.assertNotIn("lifecycle-renamed",
                         [e["name"] for e in self.cli_json("experiments", "list")["experiments"]])
        self.cli("experiments", "restore", exp_id)
        self.assertEqual(self.cli_json("experiments", "get", exp_id)["experiment"]
                         ["lifecycle_stage"], "active")

    def test_experiment_errors(self):
        p = self.cli("experiments", "create", "cli-exp", rc=1)
        self.assertIn("RESOURCE_ALREADY_EXISTS", p.stderr)
        p = self.cli("experiments", "get", "no-such-experiment", rc=1)
        self.assertEqual(p.stderr, "plinth: experiment 'no-such-experiment' not found (by id or "
                                   "name) (RESOURCE_DOES_NOT_EXIST)\n")

    def test_runs_list(self):
        runs = self.cli_json("runs", "list", "--experiment", "cli-exp")["runs"]
        self.assertEqual(sorted(r["info"]["run_id"] for r in runs), sorted(self.run_ids))

        best = self.cli_json("runs", "list", "-e", self.experiment_id,
                             "--order-by", "metrics.acc DESC", "--max-results", "1")["runs"]
        self.assertEqual([r["info"]["run_id"] for r in best], [self.run_ids[2]])

        filtered = self.cli_json("runs", "list", "-e", "cli-exp", "--filter", "params.lr = '0.02'")
        self.assertEqual([r["info"]["run_id"] for r in filtered["runs"]], [self.run_ids[1]])

        table = self.cli("runs", "list", "-e", "cli-exp", "--order-by", "metrics.loss ASC").stdout
        header = table.splitlines()[0]
        for column in ("RUN ID", "NAME", "STATUS", "STARTED", "METRICS.LOSS", "METRICS.ACC",
                       "PARAMS.LR"):
            self.assertIn(column, header)
        self.assertLess(header.index("METRICS.LOSS"), header.index("METRICS.ACC"))
        self.assertEqual(len(table.splitlines()), 4)
        for run_id in self.run_ids:
            self.assertIn(run_id, table)

    def test_runs_show_charts_metric_history(self):
        run_id = self.run_ids[0]
        text = self.cli("runs", "show", run_id).stdout
        self.assertIn(f"run id:        {run_id}", text)
        self.assertIn("experiment:    " + self.experiment_id + " (cli-exp)", text)
        self.assertIn("lr     0.01", text)
        metric_rows = [l for l in text.splitlines() if l.startswith(("acc ", "loss "))]
        self.assertEqual(len(metric_rows), 2, text)
        for row in metric_rows:
            self.assertIn(" 50 ", row)  # points in the history
            self.assertTrue(SPARK_CHARS & set(row), row)
        loss_row = next(r for r in metric_rows if r.startswith("loss"))
        self.assertIn("█", loss_row.split()[-1][:3])  # decays: starts high

        chart = self.cli("runs", "show", run_id, "--metric", "loss", "--chart-height", "6").stdout
        self.assertIn("loss: 50 points, min ", chart)
        plot_rows = [l for l in chart.splitlines() if "┤" in l or "│" in l]
        self.assertEqual(len(plot_rows), 6, chart)
        self.assertTrue(any(0x2801 <= ord(c) <= 0x28FF for c in "".join(plot_rows)))
        self.assertIn("└", chart)

        shown = self.cli_json("runs", "show", run_id, "--metric", "acc")
        self.assertEqual(shown["run"]["info"]["run_id"], run_id)
        history = shown["metric_history"]["acc"]
        self.assertEqual([m["step"] for m in history], list(range(50)))

    def test_runs_errors(self):
        p = self.cli("runs", "show", "0123456789abcdef0123456789abcdef", rc=1)
        self.assertIn("RESOURCE_DOES_NOT_EXIST", p.stderr)
        p = self.cli("runs", "show", self.run_ids[0], "--metric", "nope", rc=1)
        self.assertIn("has no metric 'nope' (it has: acc, loss)", p.stderr)
        self.cli("runs", "list", "--max-results", "0", rc=2)

    def test_runs_delete_and_restore(self):
        run = self.server.mlflow("runs/create", {"experiment_id": self.experiment_id})
        run_id = run["run"]["info"]["run_id"]
        self.assertIn(f"Deleted run {run_id}.", self.cli("runs", "delete", run_id).stdout)
        deleted = self.cli_json("runs", "list", "-e", "cli-exp", "--deleted")["runs"]
        self.assertEqual([r["info"]["run_id"] for r in deleted], [run_id])
        self.cli("runs", "restore", run_id)
        active = self.cli_json("runs", "list", "-e", "cli-exp")["runs"]
        self.assertIn(run_id, [r["info"]["run_id"] for r in active])
        self.server.mlflow("runs/delete", {"run_id": run_id})

    def test_models(self):
        self.cli("models", "create", "cli-model", "--description", "for tests")
        source = f"mlflow-artifacts:/{self.experiment_id}/{self.run_ids[0]}/artifacts/model"
        for _ in range(2):
            self.server.mlflow("model-versions/create", {"name": "cli-model", "source": source,
                                                         "run_id": self.run_ids[0]})
        self.cli("models", "alias", "set", "cli-model", "champion", "1")
        self.cli("models", "stage", "cli-model", "2", "production", "--archive-existing")

        shown = self.cli_json("models", "show", "cli-model")
        self.assertEqual(shown["registered_model"]["name"], "cli-model")
        stages = {v["version"]: v["current_stage"] for v in shown["model_versions"]}
        self.assertEqual(stages, {"1": "None", "2": "Production"})
        text = self.cli("models", "show", "cli-model").stdout
        self.assertIn("champion", text)
        self.assertIn("Production", text)

        listed = self.cli_json("models", "list", "--filter", "name LIKE 'cli-%'")
        self.assertEqual([m["name"] for m in listed["registered_models"]], ["cli-model"])
        self.assertIn("champion=v1", self.cli("models", "list").stdout)

        self.assertEqual(self.cli("models", "download-uri", "cli-model", "1").stdout.strip(), source)
        self.cli("models", "alias", "delete", "cli-model", "champion")
        self.assertNotIn("champion", self.cli("models", "list").stdout)

        p = self.cli("models", "stage", "cli-model", "1", "bogus", rc=2)
        self.assertIn("bogus", p.stderr)
        self.cli("models", "delete", "cli-model")
        p = self.cli("models", "show", "cli-model", rc=1)
        self.assertIn("RESOURCE_DOES_NOT_EXIST", p.stderr)

    def test_artifacts_round_trip(self):
        run_id = self.run_ids[1]
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "src")
            os.makedirs(os.path.join(src, "sub", "deep"))
            files = {"model.bin": os.urandom(700_000), "sub/a.txt": b"hello\n",
                     "sub/deep/with space.txt": b"deep"}
            for rel, content in files.items():
                with open(os.path.join(src, rel), "wb") as f:
                    f.write(content)

            p = self.cli("artifacts", "upload", run_id, src, "--path", "outputs")
            self.assertIn("Uploaded 3 files", p.stdout)
            self.assertEqual(p.stderr, "")  # no progress bar when stderr is not a terminal
            self.cli("artifacts", "upload", run_id, os.path.join(src, "sub", "a.txt"))

            root = self.cli_json("artifacts", "list", run_id)["files"]
            self.assertEqual({(f["path"], f["is_dir"]) for f in root},
                             {("outputs", True), ("a.txt", False)})
            sub = self.cli_json("artifacts", "list", run_id, "outputs/sub")["files"]
            self.assertEqual({f["path"] for f in sub}, {"outputs/sub/a.txt", "outputs/sub/deep"})
            self.assertIn("model.bin", self.cli("artifacts", "list", run_id, "outputs").stdout)

            dest = os.path.join(tmp, "dest")
            self.cli("artifacts", "download", run_id, "outputs", "-o", dest)
            for rel, content in files.items():
                with open(os.path.join(dest, rel), "rb") as f:
                    self.assertEqual(f.read(), content, rel)

            self.cli("artifacts", "download", run_id, "outputs/model.bin", cwd=tmp)
            with open(os.path.join(tmp, "model.bin"), "rb") as f:
                self.assertEqual(f.read(), files["model.bin"])

            p = self.cli("artifacts", "download", run_id, "outputs/missing.txt", cwd=tmp, rc=1)
            self.assertIn("has no artifact 'outputs/missing.txt'", p.stderr)
            self.cli("artifacts", "upload", run_id, os.path.join(tmp, "absent"), rc=1)

    def test_artifacts_larger_than_one_mebibyte(self):
        run_id = self.run_ids[2]
        with tempfile.TemporaryDirectory() as tmp:
            content = os.urandom(3 * 1024 * 1024 + 17)
            path = os.path.join(tmp, "weights.bin")
            with open(path, "wb") as f:
                f.write(content)
            self.cli("artifacts", "upload", run_id, path, "--quiet")
            out = os.path.join(tmp, "copy.bin")
            self.cli("artifacts", "download", run_id, "weights.bin", "-o", out, "-q")
            with open(out, "rb") as f:
                self.assertEqual(f.read(), content)

    def test_usage_errors_exit_two(self):
        p = self.cli("runs", rc=2)
        self.assertIn("'plinth runs' needs a command: list, show, delete, restore", p.stderr)
        self.cli("--output", "yaml", "experiments", "list", rc=2)
        p = self.cli("experiments", "list", "--no-such-flag", rc=2)
        self.assertIn("--no-such-flag", p.stderr)
        self.cli("experiments", "list", "--all", "--deleted", rc=2)
        self.cli("tokens", "create", "--team", "t", "--role", "god", rc=2)
        p = self.cli("info", url="localhost:1", rc=2)
        self.assertIn("must start with http://", p.stderr)
        self.assertIn("Usage", self.cli("runs", "list", "--help").stdout)

    def test_unreachable_server(self):
        p = self.cli("experiments", "list", url=f"http://127.0.0.1:{free_port()}", rc=1)
        self.assertIn("cannot reach http://127.0.0.1:", p.stderr)
        self.assertIn("is 'plinth server' running?", p.stderr)


class TokensAndTeamsTest(CliTestCase):
    """Creating the first token turns authentication on, so this has its own server."""

    def test_tokens_and_teams(self):
        self.cli("teams", "create", "vision")
        teams = self.cli_json("teams", "list")["teams"]
        self.assertIn("vision", [t["name"] for t in teams])

        created = self.cli_json("tokens", "create", "--team", "default", "--role", "admin",
                                "--name", "root")
        admin = created["secret"]
        self.assertTrue(admin.startswith("plt_"), created)
        admin_id = created["token"]["id"]

        # Authentication is now on: no token is a clear error with a hint.
        p = self.cli("experiments", "list", rc=1)
        self.assertIn("UNAUTHENTICATED", p.stderr)
        self.assertIn("PLINTH_TOKEN", p.stderr)

        text = self.cli("tokens", "create", "--team", "vision", "--role", "member",
                        token=admin).stdout
        self.assertIn("shown only this once", text)
        member = next(l.split("=", 1)[1] for l in text.splitlines()
                      if l.strip().startswith("export PLINTH_TOKEN="))
        self.assertTrue(member.startswith("plt_"))

        info = self.cli_json("info", token=member)
        self.assertEqual(info["principal"]["team"], "vision")
        self.assertEqual(info["principal"]["role"], "member")
        self.assertIn("role member", self.cli("info", token=member).stdout)

        tokens = self.cli_json("tokens", "list", token=admin)["tokens"]
        self.assertIn(admin_id, [t["id"] for t in tokens])
        self.assertNotIn(admin, json.dumps(tokens))  # secrets are never listed
        member_id = next(t["id"] for t in tokens if t["team"] == "vision")
        self.assertIn(member_id, self.cli("tokens", "list", token=admin).stdout)

        p = self.cli("tokens", "list", token=member, rc=1)
        self.assertIn("PERMISSION_DENIED", p.stderr)

        self.cli("tokens", "revoke", member_id, token=admin)
        p = self.cli("info", token=member, rc=1)
        self.assertIn("UNAUTHENTICATED", p.stderr)


if __name__ == "__main__":
    unittest.main()
