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

// artifacts/list and the mlflow-artifacts proxy (GET/PUT/DELETE, list).
void RegisterArtifactRoutes(http::Router& router, TrackingStore& store,
                            artifacts::ArtifactStore& artifacts);

// Registers `handler` at `path` under both /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/.
void AddMlflowRoute(http::Router& router, const std::string& method, const std::string& path,
                    http::Handler handler);

}  // namespace plinth::tracking
