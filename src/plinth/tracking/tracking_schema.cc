#include "plinth/tracking/tracking_schema.h"

namespace plinth::tracking {

const std::vector<db::Migration>& TrackingMigrations() {
  static const std::vector<db::Migration> kMigrations = {
      {1, "experiments, runs, metrics, params, tags, datasets",
       R"sql(
CREATE TABLE experiments (
  experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL,
  team TEXT NOT NULL);
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
  key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key));
CREATE TABLE runs (
  run_key INTEGER PRIMARY KEY AUTOINCREMENT,
  run_uuid TEXT NOT NULL UNIQUE,
  experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  lifecycle_stage TEXT NOT NULL,
  artifact_uri TEXT NOT NULL,
  deleted_time BIGINT);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE metrics (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan SMALLINT NOT NULL,
  PRIMARY KEY (run_key, key, step, timestamp, value, is_nan)) WITHOUT ROWID;
CREATE TABLE latest_metrics (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan SMALLINT NOT NULL,
  PRIMARY KEY (run_key, key)) WITHOUT ROWID;
CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value);
CREATE TABLE params (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (run_key, key)) WITHOUT ROWID;
CREATE INDEX params_by_key_value ON params (key, value);
CREATE TABLE tags (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (run_key, key)) WITHOUT ROWID;
CREATE INDEX tags_by_key_value ON tags (key, value);
CREATE TABLE datasets (
  dataset_id INTEGER PRIMARY KEY AUTOINCREMENT,
  experiment_id BIGINT NOT NULL,
  name TEXT NOT NULL, digest TEXT NOT NULL, source_type TEXT NOT NULL, source TEXT NOT NULL,
  schema TEXT NOT NULL, profile TEXT NOT NULL,
  UNIQUE (experiment_id, name, digest));
CREATE TABLE run_inputs (
  run_key BIGINT NOT NULL, dataset_id BIGINT NOT NULL, tags_json TEXT NOT NULL,
  PRIMARY KEY (run_key, dataset_id))
)sql",
       R"sql(
CREATE TABLE experiments (
  experiment_id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  artifact_location TEXT NOT NULL,
  lifecycle_stage TEXT NOT NULL,
  creation_time BIGINT NOT NULL,
  last_update_time BIGINT NOT NULL,
  team TEXT NOT NULL);
CREATE TABLE experiment_tags (
  experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
  key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (experiment_id, key));
CREATE TABLE runs (
  run_key BIGSERIAL PRIMARY KEY,
  run_uuid TEXT NOT NULL UNIQUE,
  experiment_id BIGINT NOT NULL REFERENCES experiments(experiment_id),
  name TEXT NOT NULL,
  user_id TEXT NOT NULL,
  status TEXT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT,
  lifecycle_stage TEXT NOT NULL,
  artifact_uri TEXT NOT NULL,
  deleted_time BIGINT);
CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time);
CREATE TABLE metrics (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan SMALLINT NOT NULL,
  PRIMARY KEY (run_key, key, step, timestamp, value, is_nan));
CREATE TABLE latest_metrics (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, step BIGINT NOT NULL,
  timestamp BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, is_nan SMALLINT NOT NULL,
  PRIMARY KEY (run_key, key));
CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value);
CREATE TABLE params (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (run_key, key));
CREATE INDEX params_by_key_value ON params (key, value);
CREATE TABLE tags (
  run_key BIGINT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (run_key, key));
CREATE INDEX tags_by_key_value ON tags (key, value);
CREATE TABLE datasets (
  dataset_id BIGSERIAL PRIMARY KEY,
  experiment_id BIGINT NOT NULL,
  name TEXT NOT NULL, digest TEXT NOT NULL, source_type TEXT NOT NULL, source TEXT NOT NULL,
  schema TEXT NOT NULL, profile TEXT NOT NULL,
  UNIQUE (experiment_id, name, digest));
CREATE TABLE run_inputs (
  run_key BIGINT NOT NULL, dataset_id BIGINT NOT NULL, tags_json TEXT NOT NULL,
  PRIMARY KEY (run_key, dataset_id))
)sql"},
      // Each (run, metric) summarizes its steps (step_set.h), so sampled
      // reads need not visit every point. Existing rows are summarized here
      // once; steps beyond +-2^60 stay irregular rather than risk overflow.
      {2, "latest_metrics step summaries",
       R"sql(
ALTER TABLE latest_metrics ADD COLUMN step_first BIGINT NOT NULL DEFAULT 0;
ALTER TABLE latest_metrics ADD COLUMN step_last BIGINT NOT NULL DEFAULT 0;
ALTER TABLE latest_metrics ADD COLUMN step_stride BIGINT NOT NULL DEFAULT 0;
ALTER TABLE latest_metrics ADD COLUMN steps_regular SMALLINT NOT NULL DEFAULT 0;
UPDATE latest_metrics SET
  step_first = COALESCE((SELECT MIN(m.step) FROM metrics m WHERE m.run_key = latest_metrics.run_key
                         AND m.key = latest_metrics.key), step),
  step_last = COALESCE((SELECT MAX(m.step) FROM metrics m WHERE m.run_key = latest_metrics.run_key
                        AND m.key = latest_metrics.key), step);
UPDATE latest_metrics SET step_stride = (step_last - step_first) /
  (SELECT COUNT(DISTINCT m.step) - 1 FROM metrics m WHERE m.run_key = latest_metrics.run_key
   AND m.key = latest_metrics.key)
  WHERE step_last > step_first AND step_first > -1152921504606846976
    AND step_last < 1152921504606846976;
UPDATE latest_metrics SET steps_regular = 1 WHERE step_first = step_last OR (step_stride > 0
  AND (step_last - step_first) = step_stride * (SELECT COUNT(DISTINCT m.step) - 1 FROM metrics m
       WHERE m.run_key = latest_metrics.run_key AND m.key = latest_metrics.key)
  AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.run_key = latest_metrics.run_key
       AND m.key = latest_metrics.key AND (m.step - latest_metrics.step_first) %
       latest_metrics.step_stride <> 0))
)sql"},
  };
  return kMigrations;
}

}  // namespace plinth::tracking
