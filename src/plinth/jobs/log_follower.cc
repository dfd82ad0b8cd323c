#include "plinth/jobs/log_follower.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace plinth::jobs {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// Read no further while this much is waiting for the client.
constexpr size_t kMaxQueued = 1 << 20;

// Lives on the watcher's thread (every method but the bus handler, which
// only posts there).
class Follower : public std::enable_shared_from_this<Follower> {
 public:
  Follower(std::shared_ptr<http::ResponseStream> out, FileWatcher& watcher, int replica,
           int64_t offset)
      : out_(std::move(out)), watcher_(watcher), replica_(replica), offset_(offset) {}
  ~Follower() {
    if (fd_ >= 0) close(fd_);
  }

  void Start(EventBus& bus, const std::string& job_id,
             const std::function<absl::StatusOr<FollowedJob>()>& read_current) {
    self_ = shared_from_this();  // alive until Stop
    std::weak_ptr<Follower> weak = weak_from_this();
    int replica = replica_;
    subscription_ =
        bus.Subscribe({absl::StrCat("jobs/", job_id)}, [weak, replica](const BusEvent& event) {
          if (event.type != "job") return;
          FollowedJob job = FollowedJobFrom(event.data, replica);
          if (auto self = weak.lock()) {
            self->watcher_.Post([self, job] { self->Update(job); });
          }
        });
    out_->OnClose([weak, &watcher = watcher_] {
      if (auto self = weak.lock()) watcher.Post([self] { self->Stop(); });
    });
    absl::StatusOr<FollowedJob> current = read_current();
    if (!current.ok()) {
      out_->Send(absl::StrCat("plinth: cannot follow the log: ", current.status().message(), "\n"));
      watcher_.Post([self = shared_from_this()] { self->Stop(); });
      return;
    }
    watcher_.Post([self = shared_from_this(), job = *current] { self->Update(job); });
  }

 private:
  void Update(const FollowedJob& job) {
    if (stopped_) return;
    if (!job.log_dir.empty() && job.log_dir != log_dir_) Switch(job.log_dir);
    // The folder may not have existed yet at the launch record.
    if (watch_ == 0 && !log_dir_.empty()) Watch();
    ended_ = ended_ || job.ended;
    Pump();
  }

  // A (new) attempt's folder: follow its log from the start.
  void Switch(const std::string& log_dir) {
    if (!log_dir_.empty()) offset_ = 0;
    if (watch_ != 0) watcher_.Unwatch(watch_);
    watch_ = 0;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    log_dir_ = log_dir;
  }

  void Watch() {
    std::weak_ptr<Follower> weak = weak_from_this();
    absl::StatusOr<FileWatcher::WatchId> id = watcher_.WatchDir(log_dir_, [weak] {
      if (auto self = weak.lock()) self->Pump();  // already on the watcher's thread
    });
    if (id.ok()) {
      watch_ = *id;
    } else if (id.status().code() != absl::StatusCode::kNotFound) {
      spdlog::warn("logs -f: {}", id.status().ToString());
    }
  }

  void Pump() {
    if (stopped_) return;
    if (fd_ < 0 && !log_dir_.empty()) {
      fd_ = open(absl::StrCat(log_dir_, "/output.log").c_str(), O_RDONLY | O_CLOEXEC);
    }
    if (fd_ >= 0) {
      char buffer[kReadChunk];
      while (true) {
        if (out_->Queued() > kMaxQueued) {
          // The client is behind: go on once it has read what is queued.
          std::weak_ptr<Follower> weak = weak_from_this();
          out_->OnWritable([weak, &watcher = watcher_] {
            if (auto self = weak.lock()) watcher.Post([self] { self->Pump(); });
          });
          return;
        }
        ssize_t n = pread(fd_, buffer, sizeof buffer, offset_);
        if (n <= 0) break;
        offset_ += n;
        if (!out_->Send(std::string(buffer, static_cast<size_t>(n)))) return Stop();
      }
    }
    if (ended_) Stop();
  }

  // Lets go of the bus and the folder first, then ends the response: once
  // the client has seen the end, nothing of this follower is left behind.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    if (watch_ != 0) watcher_.Unwatch(watch_);
    watch_ = 0;
    subscription_.reset();
    out_->End();  // nothing when the client has gone
    out_.reset();
    self_.reset();  // the last reference may go with it
  }

  std::shared_ptr<http::ResponseStream> out_;
  FileWatcher& watcher_;
  const int replica_;
  int64_t offset_;
  std::unique_ptr<EventBus::Subscription> subscription_;
  std::string log_dir_;
  FileWatcher::WatchId watch_ = 0;
  int fd_ = -1;
  bool ended_ = false;
  bool stopped_ = false;
  std::shared_ptr<Follower> self_;
};

}  // namespace

FollowedJob FollowedJobFrom(const Job& job, int replica) {
  FollowedJob out;
  out.ended = IsTerminal(job.state);
  if (replica >= 0 && replica < static_cast<int>(job.replicas.size())) {
    out.log_dir = job.replicas[replica].log_dir;
  }
  return out;
}

FollowedJob FollowedJobFrom(const Json& job, int replica) {
  FollowedJob out;
  absl::StatusOr<JobState> state = ParseState(job.value("state", ""));
  out.ended = state.ok() && IsTerminal(*state);
  const Json& replicas = job.contains("replicas") ? job["replicas"] : Json::array();
  if (replicas.is_array() && replica >= 0 && replica < static_cast<int>(replicas.size())) {
    out.log_dir = replicas[replica].value("log_dir", "");
  }
  return out;
}

void FollowLog(std::shared_ptr<http::ResponseStream> out, EventBus& bus, FileWatcher& watcher,
               const std::string& job_id, int replica, int64_t offset,
               std::function<absl::StatusOr<FollowedJob>()> read_current) {
  auto follower = std::make_shared<Follower>(std::move(out), watcher, replica, offset);
  follower->Start(bus, job_id, read_current);
}

}  // namespace plinth::jobs
