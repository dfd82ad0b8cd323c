"""/metrics: a real Prometheus scrapes it and promtool accepts it."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import free_port, make_server, missing_service


def test_promtool_check_metrics_is_clean():
    promtool = shutil.which("promtool")
    if not promtool:
        missing_service("promtool not installed: apt-get install prometheus")
    server = make_server("sqlite").start()
    try:
        server.new_run()
        server.call("GET", "/api/2.0/mlflow/no/such")
        text = server.call("GET", "/metrics").text
        for name in ["plinth_http_requests_total", "plinth_http_request_duration_seconds_bucket",
                     "plinth_db_operation_duration_seconds_bucket", "plinth_build_info"]:
            assert name in text, name
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        server.stop()


def test_real_prometheus_scrapes_metrics():
    prometheus = shutil.which("prometheus")
    if not prometheus:
        missing_service("prometheus not installed: apt-get install prometheus")
    server = make_server("sqlite").start()
    workdir = tempfile.mkdtemp(prefix="plinth-prom-")
    prom_port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: plinth
    static_configs:
      - targets: ['127.0.0.1:{server.port}']
""")
    proc = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={workdir}/data",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        server.new_run()
        query = f"http://127.0.0.1:{prom_port}/api/v1/query"
        deadline = time.time() + 60
        found = None
        while time.time() < deadline:
            try:
                r = requests.get(query, params={"query": 'plinth_http_requests_total{route="/api/2.0/mlflow/runs/create"}'},
                                 timeout=2)
                result = r.json()["data"]["result"]
                if result:
                    found = result
                    break
            except (requests.RequestException, KeyError, ValueError):
                pass
            time.sleep(0.5)
        assert found, "Prometheus never scraped plinth_http_requests_total"
        assert float(found[0]["value"][1]) >= 1
        up = requests.get(query, params={"query": 'up{job="plinth"}'}, timeout=2).json()["data"]["result"]
        assert up and up[0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.stop()
