// The MLflow tracking REST API 2.0 on a Router (under /api/2.0/mlflow and
// /ajax-api/2.0/mlflow): parses and validates requests, checks the caller's
// team and role, calls the TrackingStore, and answers in MLflow's shapes.
#pragma once

#include "plinth/artifacts/artifact_store.h"
#include "plinth/http/router.h"
#include "plinth/tracking/tracking_store.h"

namespace plinth::tracking {

// `store` and `artifacts` must outlive the router.
void RegisterTrackingRoutes(http::Router& router, TrackingStore& store);

// Where runs' artifacts can be read by this server.
struct ArtifactRoots {
  // The mlflow-artifacts proxy's store; null with --no-serve-artifacts
  // (the proxy routes are then not registered).
  artifacts::ArtifactStore* proxy = nullptr;
  // A file:// default artifact root ("file:///srv/mlruns", no trailing
  // '/') and a store on its folder: artifacts/list and upload-artifact serve
  // runs under it, as MLflow's server does for local roots. Empty / null
  // when the root is not file://.
  std::string file_root_uri;
  artifacts::ArtifactStore* file_root = nullptr;
};

// artifacts/list, ajax upload-artifact and, when `roots.proxy` is set, the
// mlflow-artifacts proxy (GET/PUT/DELETE, list).
void RegisterArtifactRoutes(http::Router& router, TrackingStore& store, ArtifactRoots roots);

// Registers `handler` at `path` under both /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/.
void AddMlflowRoute(http::Router& router, const std::string& method, const std::string& path,
                    http::Handler handler);

}  // namespace plinth::tracking
