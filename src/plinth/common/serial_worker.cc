#include "plinth/common/serial_worker.h"

#include <pthread.h>

#include <utility>

namespace plinth {

SerialWorker::SerialWorker(std::string name) : name_(std::move(name)) {
  thread_ = std::thread([this] { Run(); });
  // Shown by top -H and in stack dumps; Linux allows 15 characters.
  pthread_setname_np(thread_.native_handle(), name_.substr(0, 15).c_str());
}

SerialWorker::~SerialWorker() { Shutdown(); }

bool SerialWorker::Post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void SerialWorker::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

size_t SerialWorker::Backlog() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size() + (running_task_ ? 1 : 0);
}

void SerialWorker::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(
        lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::function<void()> task = std::move(queue_.front());
    queue_.pop_front();
    running_task_ = true;
    lock.unlock();
    task();
    task = nullptr;  // what it captured goes before the next one runs
    lock.lock();
    running_task_ = false;
  }
}

}  // namespace plinth
