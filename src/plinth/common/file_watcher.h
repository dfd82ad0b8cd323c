// Wakes whoever follows a file as soon as it changes (inotify), instead of
// re-reading it on an interval. One thread of its own runs every callback
// and any posted work, one at a time, so followers need no locks of their
// own for the state they keep on it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"

namespace plinth {

class FileWatcher {
 public:
  using WatchId = int64_t;

  static absl::StatusOr<std::unique_ptr<FileWatcher>> Create();
  ~FileWatcher();  // stops the thread; pending work is dropped
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Calls `on_change` (on the watcher's thread) whenever a file in `dir` is
  // created, written to, closed after writing or moved in, and when `dir`
  // itself is deleted. NotFound when `dir` does not exist.
  absl::StatusOr<WatchId> WatchDir(const std::string& dir, std::function<void()> on_change);
  // No calls for `id` start after this returns (one may be running on the
  // watcher's thread when called from another thread).
  void Unwatch(WatchId id);
  // Runs `fn` on the watcher's thread.
  void Post(std::function<void()> fn);

 private:
  FileWatcher(int inotify_fd, int wake_fd, int epoll_fd);
  void Run();
  void HandleInotify();

  const int inotify_fd_;
  const int wake_fd_;  // eventfd: new posted work, or stop
  const int epoll_fd_;

  std::mutex mu_;
  struct Watch {
    int wd;
    std::function<void()> on_change;
  };
  std::map<WatchId, Watch> watches_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> posted_ ABSL_GUARDED_BY(mu_);
  WatchId next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace plinth
