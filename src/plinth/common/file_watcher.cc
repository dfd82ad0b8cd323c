#include "plinth/common/file_watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace plinth {

namespace {
constexpr uint32_t kDirEvents =
    IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF;
}  // namespace

absl::StatusOr<std::unique_ptr<FileWatcher>> FileWatcher::Create() {
  int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd < 0) {
    return absl::InternalError(absl::StrCat("inotify_init1: ", std::strerror(errno)));
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (wake_fd < 0 || epoll_fd < 0) {
    int err = errno;
    close(inotify_fd);
    if (wake_fd >= 0) close(wake_fd);
    if (epoll_fd >= 0) close(epoll_fd);
    return absl::InternalError(absl::StrCat("eventfd/epoll: ", std::strerror(err)));
  }
  for (int fd : {inotify_fd, wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  return std::unique_ptr<FileWatcher>(new FileWatcher(inotify_fd, wake_fd, epoll_fd));
}

FileWatcher::FileWatcher(int inotify_fd, int wake_fd, int epoll_fd)
    : inotify_fd_(inotify_fd), wake_fd_(wake_fd), epoll_fd_(epoll_fd) {
  thread_ = std::thread([this] { Run(); });
}

FileWatcher::~FileWatcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(epoll_fd_);
  close(wake_fd_);
  close(inotify_fd_);
}

absl::StatusOr<FileWatcher::WatchId> FileWatcher::WatchDir(const std::string& dir,
                                                           std::function<void()> on_change) {
  // IN_MASK_ADD: a second watch of the same folder keeps the first's events.
  int wd = inotify_add_watch(inotify_fd_, dir.c_str(), kDirEvents | IN_ONLYDIR | IN_MASK_ADD);
  if (wd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      return absl::NotFoundError(absl::StrCat("no folder ", dir));
    }
    return absl::ResourceExhaustedError(
        absl::StrCat("cannot watch ", dir, ": ", std::strerror(err),
                     err == ENOSPC ? " (raise fs.inotify.max_user_watches)" : ""));
  }
  std::lock_guard<std::mutex> lock(mu_);
  WatchId id = next_id_++;
  watches_[id] = Watch{wd, std::move(on_change)};
  return id;
}

void FileWatcher::Unwatch(WatchId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  int wd = it->second.wd;
  watches_.erase(it);
  for (const auto& [other, watch] : watches_) {
    if (watch.wd == wd) return;  // the folder is still watched for someone else
  }
  inotify_rm_watch(inotify_fd_, wd);
}

void FileWatcher::Post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.push_back(std::move(fn));
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

void FileWatcher::Run() {
  while (true) {
    epoll_event events[2];
    int n = epoll_wait(epoll_fd_, events, 2, -1);
    if (n < 0 && errno != EINTR) {
      spdlog::error("file watcher: epoll_wait: {}", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.fd == inotify_fd_) HandleInotify();
    }
    uint64_t count = 0;
    (void)!read(wake_fd_, &count, sizeof count);
    std::vector<std::function<void()>> work;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
      work.swap(posted_);
    }
    for (auto& fn : work) fn();
  }
}

void FileWatcher::HandleInotify() {
  alignas(inotify_event) char buffer[16384];
  std::vector<int> changed;  // descriptors, each once per read
  while (true) {
    ssize_t n = read(inotify_fd_, buffer, sizeof buffer);
    if (n <= 0) break;
    for (char* p = buffer; p < buffer + n;) {
      auto* event = reinterpret_cast<inotify_event*>(p);
      if (std::find(changed.begin(), changed.end(), event->wd) == changed.end()) {
        changed.push_back(event->wd);
      }
      p += sizeof(inotify_event) + event->len;
    }
  }
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, watch] : watches_) {
      if (std::find(changed.begin(), changed.end(), watch.wd) != changed.end()) {
        calls.push_back(watch.on_change);
      }
    }
  }
  for (auto& call : calls) call();
}

}  // namespace plinth
