// Tells a listener, at once, that a watched process has exited: one thread
// waits in epoll on a pidfd per process (Linux 5.3+), so nobody has to poll
// to notice that a replica ended.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace plinth::exec {

class ExitWatcher {
 public:
  ExitWatcher();
  ~ExitWatcher();
  ExitWatcher(const ExitWatcher&) = delete;
  ExitWatcher& operator=(const ExitWatcher&) = delete;

  // Called from the watcher's thread after a watched process exits (or is
  // found gone when watched). Null: nobody listens. Setting it waits for a
  // call in progress, so a listener's owner can clear it and then go away.
  void SetListener(std::function<void()> listener);

  // Watches `pid` if it is still the process that started at `start_time`
  // (clock ticks since boot, as /proc/<pid>/stat gives it). Watching a pid
  // twice is a no-op. Returns false when pidfds are unavailable.
  bool Watch(pid_t pid, uint64_t start_time);

 private:
  void Run();
  void Notify();

  int epoll_fd_ = -1;
  int stop_fd_ = -1;  // an eventfd that ends Run
  std::mutex mu_;
  std::set<pid_t> watched_ ABSL_GUARDED_BY(mu_);
  std::mutex listener_mu_;  // held while the listener runs
  std::function<void()> listener_ ABSL_GUARDED_BY(listener_mu_);
  std::thread thread_;
};

}  // namespace plinth::exec
