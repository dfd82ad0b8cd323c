#include "plinth/sched/trace.h"

#include <cmath>
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "plinth/common/files.h"
#include "plinth/common/status_macros.h"
#include "plinth/gpu/mig_profiles.h"

namespace plinth::sched {
namespace {

enum Column {
  kSubmitTime,
  kDuration,
  kGpus,
  kTeam,
  kPriority,
  kId,
  kReplicas,
  kGpuModel,
  kMigProfile,
  kPreemptible,
  kMaxRuntime,
  kQueue,
  kColumnCount
};
constexpr int kRequiredColumns = kId;  // the columns before kId are required

// Bounds that keep times in int64 milliseconds and sizes sane.
constexpr double kMaxSeconds = 1e10;
constexpr double kMaxGpus = 1024;  // per replica
constexpr int kMaxReplicas = 100000;

constexpr const char* kColumnNames[kColumnCount] = {
    "submit_time", "duration",  "gpus",        "team",        "priority",    "id",
    "replicas",    "gpu_model", "mig_profile", "preemptible", "max_runtime", "queue"};

// Splits one CSV line into fields. Quoted fields may hold commas and doubled
// quotes; a field cannot span lines.
absl::Status SplitCsvLine(absl::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  size_t i = 0;
  while (true) {
    field.clear();
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) return absl::InvalidArgumentError("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      size_t rest = line.find(',', i);
      absl::string_view trailing =
          line.substr(i, rest == absl::string_view::npos ? rest : rest - i);
      if (!absl::StripAsciiWhitespace(trailing).empty()) {
        return absl::InvalidArgumentError("text after a closing quote");
      }
      i = rest;
    } else {
      size_t end = line.find(',', i);
      field = std::string(absl::StripAsciiWhitespace(
          line.substr(i, end == absl::string_view::npos ? end : end - i)));
      i = end;
    }
    fields->push_back(field);
    if (i == absl::string_view::npos) return absl::OkStatus();
    ++i;  // past the comma
  }
}

class RowParser {
 public:
  RowParser(const std::string& source, int line) : source_(source), line_(line) {}

  absl::Status Error(Column column, const std::string& value, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(source_, ":", line_, ": column ",
                                                   kColumnNames[column], ": '", value, "' ", what));
  }

  absl::StatusOr<double> Seconds(Column column, const std::string& value, bool positive) const {
    double v = 0;
    if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) {
      return Error(column, value, "is not a number of seconds");
    }
    if (v > kMaxSeconds) return Error(column, value, "is more than 10,000,000,000 seconds");
    if (positive ? v <= 0 : v < 0) {
      return Error(column, value,
                   positive ? "must be more than 0 seconds" : "must not be negative");
    }
    return v;
  }

  absl::StatusOr<int> Int(Column column, const std::string& value, int min, int max) const {
    int v = 0;
    if (!absl::SimpleAtoi(value, &v)) return Error(column, value, "is not a whole number");
    if (v < min) return Error(column, value, absl::StrCat("must be at least ", min));
    if (v > max) return Error(column, value, absl::StrCat("must be at most ", max));
    return v;
  }

  absl::StatusOr<double> Gpus(const std::string& value) const {
    double v = 0;
    bool number = absl::SimpleAtod(value, &v) && std::isfinite(v);
    bool whole = number && v >= 1 && v <= kMaxGpus && std::fabs(v - std::round(v)) < 1e-9;
    bool fraction = number && v > 0 && v < 1;
    if (!whole && !fraction) {
      return Error(kGpus, value, "is not a valid GPU count (a fraction below 1 or a whole number)");
    }
    return whole ? std::round(v) : v;
  }

  absl::StatusOr<bool> Bool(Column column, const std::string& value) const {
    std::string v = absl::AsciiStrToLower(value);
    if (v == "true" || v == "yes" || v == "1") return true;
    if (v == "false" || v == "no" || v == "0") return false;
    return Error(column, value, "is not true or false");
  }

 private:
  const std::string& source_;
  int line_;
};

absl::StatusOr<TraceJob> ParseRow(const std::vector<std::string>& fields,
                                  const std::vector<int>& column_of_field,
                                  const std::string& source, int line, int row) {
  std::string value[kColumnCount];
  bool given[kColumnCount] = {};
  for (size_t f = 0; f < fields.size(); ++f) {
    value[column_of_field[f]] = fields[f];
    given[column_of_field[f]] = !fields[f].empty();
  }
  RowParser p(source, line);
  for (int c = 0; c < kRequiredColumns; ++c) {
    if (!given[c] && c != kGpus) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line, ": column ", kColumnNames[c], ": a value is required"));
    }
  }
  TraceJob job;
  job.line = line;
  job.id = given[kId] ? value[kId] : absl::StrCat("job-", row);
  ASSIGN_OR_RETURN(job.submit_time_s, p.Seconds(kSubmitTime, value[kSubmitTime], false));
  ASSIGN_OR_RETURN(job.duration_s, p.Seconds(kDuration, value[kDuration], true));
  job.team = value[kTeam];
  job.queue = given[kQueue] ? value[kQueue] : job.team;
  ASSIGN_OR_RETURN(job.priority, p.Int(kPriority, value[kPriority], INT32_MIN, INT32_MAX));
  if (given[kReplicas]) {
    ASSIGN_OR_RETURN(job.replicas, p.Int(kReplicas, value[kReplicas], 1, kMaxReplicas));
  }
  job.gpu_model = value[kGpuModel];
  if (given[kMigProfile]) {
    absl::StatusOr<gpu::MigProfile> profile = gpu::FindMigProfile(value[kMigProfile]);
    if (!profile.ok()) return p.Error(kMigProfile, value[kMigProfile], profile.status().message());
    job.mig_profile = value[kMigProfile];
    double gpus = 0;
    if (given[kGpus] && !(absl::SimpleAtod(value[kGpus], &gpus) && gpus == 0)) {
      return p.Error(kGpus, value[kGpus], "must be empty or 0 when mig_profile is given");
    }
  } else if (!given[kGpus]) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ":", line, ": column gpus: a value is required (or give a mig_profile)"));
  } else {
    ASSIGN_OR_RETURN(job.gpus, p.Gpus(value[kGpus]));
  }
  if (given[kPreemptible]) {
    ASSIGN_OR_RETURN(job.preemptible, p.Bool(kPreemptible, value[kPreemptible]));
  }
  if (given[kMaxRuntime]) {
    ASSIGN_OR_RETURN(job.max_runtime_s, p.Seconds(kMaxRuntime, value[kMaxRuntime], true));
  }
  return job;
}

}  // namespace

absl::StatusOr<Trace> ParseTraceCsv(absl::string_view text, const std::string& source) {
  Trace trace;
  trace.source = source;
  std::vector<int> column_of_field;
  std::vector<std::string> fields;
  std::set<std::string> ids;
  int line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    absl::string_view stripped = absl::StripAsciiWhitespace(raw);
    if (stripped.empty() || stripped[0] == '#') continue;
    if (absl::Status s = SplitCsvLine(stripped, &fields); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", s.message()));
    }
    if (column_of_field.empty()) {  // the header
      std::map<std::string, int> known;
      for (int c = 0; c < kColumnCount; ++c) known[kColumnNames[c]] = c;
      bool seen[kColumnCount] = {};
      for (const std::string& name : fields) {
        auto it = known.find(name);
        if (it == known.end()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ":", line, ": unknown column '", name, "' (known columns: ",
                           absl::StrJoin(kColumnNames, kColumnNames + kColumnCount, ", "), ")"));
        }
        if (seen[it->second]) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ":", line, ": column '", name, "' appears twice"));
        }
        seen[it->second] = true;
        column_of_field.push_back(it->second);
      }
      for (int c = 0; c < kRequiredColumns; ++c) {
        if (!seen[c]) {
          return absl::InvalidArgumentError(absl::StrCat(
              source, ":", line, ": the header lacks the required column '", kColumnNames[c],
              "' (required: submit_time, duration, gpus, team, priority)"));
        }
      }
      continue;
    }
    if (fields.size() != column_of_field.size()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ":", line, ": ", fields.size(),
                                                     " fields, but the header names ",
                                                     column_of_field.size(), " columns"));
    }
    ASSIGN_OR_RETURN(TraceJob job, ParseRow(fields, column_of_field, source, line,
                                            static_cast<int>(trace.jobs.size()) + 1));
    if (!ids.insert(job.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ":", line, ": column id: '", job.id, "' is used by an earlier row"));
    }
    trace.jobs.push_back(std::move(job));
  }
  if (column_of_field.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": empty trace; the first line must be a header such as "
                     "'submit_time,duration,gpus,team,priority'"));
  }
  return trace;
}

absl::StatusOr<Trace> LoadTraceFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTraceCsv(*text, std::filesystem::path(path).filename().string());
}

}  // namespace plinth::sched
