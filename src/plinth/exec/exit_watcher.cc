#include "plinth/exec/exit_watcher.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "plinth/exec/process_util.h"

namespace plinth::exec {
namespace {

int PidfdOpen(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

ExitWatcher::ExitWatcher() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || stop_fd_ < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // 0: the stop event; pids are > 0
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev);
  thread_ = std::thread([this] { Run(); });
}

ExitWatcher::~ExitWatcher() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    thread_.join();
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void ExitWatcher::SetListener(std::function<void()> listener) {
  std::lock_guard<std::mutex> lock(listener_mu_);
  listener_ = std::move(listener);
}

void ExitWatcher::Notify() {
  std::lock_guard<std::mutex> lock(listener_mu_);
  if (listener_) listener_();
}

bool ExitWatcher::Watch(pid_t pid, uint64_t start_time) {
  if (!thread_.joinable()) return false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!watched_.insert(pid).second) return true;
  }
  int fd = PidfdOpen(pid);
  // Opened after the check would race a recycled pid; checked after instead:
  // the fd then refers to the process that has this start time, or to none.
  if (fd >= 0 && IsAlive(pid, start_time)) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 =
        (static_cast<uint64_t>(static_cast<uint32_t>(fd)) << 32) | static_cast<uint32_t>(pid);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) return true;
  }
  bool supported = fd >= 0 || errno != ENOSYS;
  if (fd >= 0) ::close(fd);
  {
    std::lock_guard<std::mutex> lock(mu_);
    watched_.erase(pid);
  }
  Notify();  // already gone: whoever waits should look now
  return supported;
}

void ExitWatcher::Run() {
  epoll_event events[16];
  for (;;) {
    int n = ::epoll_wait(epoll_fd_, events, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;
    bool exited = false;
    for (int i = 0; i < n; ++i) {
      uint64_t data = events[i].data.u64;
      if (data == 0) return;  // stop
      int fd = static_cast<int>(data >> 32);
      pid_t pid = static_cast<pid_t>(data & 0xffffffffu);
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      ::close(fd);
      std::lock_guard<std::mutex> lock(mu_);
      watched_.erase(pid);
      exited = true;
    }
    if (exited) Notify();
  }
}

}  // namespace plinth::exec
