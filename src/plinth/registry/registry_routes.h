// MLflow's model registry REST API (registered-models/... and
// model-versions/...) on top of RegistryStore, mounted under both
// /api/2.0/mlflow and /ajax-api/2.0/mlflow. The caller is taken from
// Request::principal; the store enforces roles and team ownership.
#pragma once

#include "plinth/http/router.h"
#include "plinth/registry/registry_store.h"

namespace plinth::registry {

// `store` must outlive the router.
void RegisterRegistryRoutes(http::Router& router, RegistryStore& store);

}  // namespace plinth::registry
