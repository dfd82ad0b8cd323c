#include "bench/mlflow_setup.h"

#include <filesystem>

#include "nlohmann/json.hpp"
#include "plinth/common/clock.h"

namespace plinth::bench {
namespace {

nlohmann::json PostJson(HttpConnection& conn, const std::string& path, const nlohmann::json& body) {
  HttpResponse response;
  conn.RoundTripOk(BuildRequest("POST", path, body.dump()), &response);
  nlohmann::json out = nlohmann::json::parse(response.body, nullptr, false);
  Check(!out.is_discarded(), "invalid JSON from " + path + ": " + response.body.substr(0, 200));
  return out;
}

}  // namespace

std::string CreateExperimentHttp(HttpConnection& conn, const std::string& name) {
  auto out = PostJson(conn, "/api/2.0/mlflow/experiments/create", {{"name", name}});
  Check(out.contains("experiment_id"), "experiments/create answered " + out.dump());
  return out["experiment_id"].get<std::string>();
}

std::string CreateRunHttp(HttpConnection& conn, const std::string& experiment_id,
                          const std::string& run_name) {
  auto out = PostJson(conn, "/api/2.0/mlflow/runs/create",
                      {{"experiment_id", experiment_id}, {"run_name", run_name}});
  Check(out.contains("run"), "runs/create answered " + out.dump());
  return out["run"]["info"]["run_id"].get<std::string>();
}

std::unique_ptr<LocalStore> LocalStore::Open(const std::string& home) {
  std::filesystem::create_directories(home);
  auto local = std::make_unique<LocalStore>();
  db::Options options;
  options.url = "sqlite";
  options.sqlite_path = home + "/plinth.db";
  auto db = db::Database::Open(options);
  Check(db.ok(), "open database: " + std::string(db.status().message()));
  local->db = *std::move(db);
  auto store = tracking::TrackingStore::Create(*local->db, SystemClock::Get(), "mlflow-artifacts:");
  Check(store.ok(), "open tracking store: " + std::string(store.status().message()));
  local->store = *std::move(store);
  return local;
}

}  // namespace plinth::bench
