// Injectable time source. Production code takes a Clock& so that tests can
// drive time with FakeClock instead of sleeping.
#pragma once

#include <atomic>
#include <cstdint>

namespace plinth {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch (MLflow's timestamp unit).
  virtual int64_t NowMillis() const = 0;
};

// Wall-clock time. Thread-safe.
class SystemClock final : public Clock {
 public:
  int64_t NowMillis() const override;
  static SystemClock& Get();
};

// Manually advanced time for tests. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_millis = 1'700'000'000'000) : now_(start_millis) {}
  int64_t NowMillis() const override { return now_.load(); }
  void AdvanceMillis(int64_t ms) { now_ += ms; }
  void SetMillis(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace plinth
