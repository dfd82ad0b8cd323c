// The running server: opens storage under the home folder, builds every
// module from the configuration, mounts their routes on one HTTP port, and
// serves until Shutdown(). Wiring only; no domain logic lives here.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "plinth/server/config.h"

namespace plinth::server {

class App {
 public:
  // Fails with a clear message on bad configuration, unreachable storage, a
  // taken port, or a non-loopback bind without tokens (unless insecure).
  static absl::StatusOr<std::unique_ptr<App>> Create(const Config& config);
  virtual ~App() = default;

  virtual int port() const = 0;
  // Serves until Shutdown() has drained in-flight requests; then storage is
  // closed when the App is destroyed.
  virtual void Run() = 0;
  virtual void Shutdown() = 0;
};

}  // namespace plinth::server
