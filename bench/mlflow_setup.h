// Setting up benchmark data: experiments and runs over the MLflow REST API,
// and the tracking store opened in-process on a server's home folder (to
// load large data sets before the server starts).
#pragma once

#include <memory>
#include <string>

#include "bench/bench_common.h"
#include "plinth/db/database.h"
#include "plinth/tracking/tracking_store.h"

namespace plinth::bench {

// POST experiments/create; returns the experiment_id.
std::string CreateExperimentHttp(HttpConnection& conn, const std::string& name);
// POST runs/create; returns the run_id.
std::string CreateRunHttp(HttpConnection& conn, const std::string& experiment_id,
                          const std::string& run_name);

// The tracking store on HOME/plinth.db, as `plinth server --home HOME` opens
// it (migrations applied). Close it (destroy) before starting a server there.
struct LocalStore {
  std::unique_ptr<db::Database> db;
  std::unique_ptr<tracking::TrackingStore> store;
  static std::unique_ptr<LocalStore> Open(const std::string& home);
};

}  // namespace plinth::bench
