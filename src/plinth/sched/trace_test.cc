#include "plinth/sched/trace.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::sched {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(const std::string& csv) {
  absl::StatusOr<Trace> trace = ParseTraceCsv(csv, "trace.csv");
  EXPECT_FALSE(trace.ok());
  EXPECT_EQ(trace.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(trace.status().message());
}

TEST(TraceTest, RequiredColumnsAndDefaults) {
  absl::StatusOr<Trace> trace = ParseTraceCsv(
      "submit_time,duration,gpus,team,priority\n"
      "0,3600,1,vision,0\n"
      "12.5,60,0.5,nlp,-3\r\n",
      "trace.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->jobs.size(), 2u);
  const TraceJob& a = trace->jobs[0];
  EXPECT_EQ(a.id, "job-1");
  EXPECT_EQ(a.line, 2);
  EXPECT_EQ(a.duration_s, 3600);
  EXPECT_EQ(a.gpus, 1);
  EXPECT_EQ(a.replicas, 1);
  EXPECT_EQ(a.queue, "vision");
  EXPECT_TRUE(a.preemptible);
  EXPECT_EQ(a.max_runtime_s, 0);
  const TraceJob& b = trace->jobs[1];
  EXPECT_EQ(b.id, "job-2");
  EXPECT_EQ(b.submit_time_s, 12.5);
  EXPECT_EQ(b.gpus, 0.5);
  EXPECT_EQ(b.priority, -3);
}

TEST(TraceTest, OptionalColumnsInAnyOrder) {
  absl::StatusOr<Trace> trace = ParseTraceCsv(
      "# a comment\n"
      "\n"
      "id,queue,team,priority,submit_time,duration,gpus,replicas,gpu_model,preemptible,"
      "max_runtime,mig_profile\n"
      "train-1,shared,vision,5,10,100,8,4,H100-80GB,false,7200,\n"
      "\"infer, small\",,nlp,0,20,30,,1,,yes,,1g.10gb\n",
      "trace.csv");
  ASSERT_TRUE(trace.ok()) << trace.status();
  ASSERT_EQ(trace->jobs.size(), 2u);
  const TraceJob& a = trace->jobs[0];
  EXPECT_EQ(a.id, "train-1");
  EXPECT_EQ(a.line, 4);
  EXPECT_EQ(a.queue, "shared");
  EXPECT_EQ(a.team, "vision");
  EXPECT_EQ(a.replicas, 4);
  EXPECT_EQ(a.gpu_model, "H100-80GB");
  EXPECT_FALSE(a.preemptible);
  EXPECT_EQ(a.max_runtime_s, 7200);
  const TraceJob& b = trace->jobs[1];
  EXPECT_EQ(b.id, "infer, small");
  EXPECT_EQ(b.queue, "nlp");  // empty queue: the team's
  EXPECT_EQ(b.mig_profile, "1g.10gb");
  EXPECT_EQ(b.gpus, 0);
}

TEST(TraceTest, BadGpuCountNamesLineAndColumn) {
  EXPECT_EQ(ErrorOf("submit_time,duration,gpus,team,priority\n"
                    "0,10,1,a,0\n"
                    "0,10,1.5,a,0\n"),
            "trace.csv:3: column gpus: '1.5' is not a valid GPU count (a fraction below 1 or a "
            "whole number)");
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team,priority\n0,10,0,a,0\n"),
              HasSubstr("column gpus: '0' is not a valid GPU count"));
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team,priority\n0,10,-1,a,0\n"),
              HasSubstr("column gpus: '-1'"));
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team,priority\n0,10,,a,0\n"),
              HasSubstr("trace.csv:2: column gpus: a value is required"));
}

TEST(TraceTest, BadValuesNameTheirColumn) {
  const std::string header = "submit_time,duration,gpus,team,priority,replicas,preemptible\n";
  EXPECT_EQ(ErrorOf(header + "x,10,1,a,0,1,true\n"),
            "trace.csv:2: column submit_time: 'x' is not a number of seconds");
  EXPECT_EQ(ErrorOf(header + "-1,10,1,a,0,1,true\n"),
            "trace.csv:2: column submit_time: '-1' must not be negative");
  EXPECT_EQ(ErrorOf(header + "0,0,1,a,0,1,true\n"),
            "trace.csv:2: column duration: '0' must be more than 0 seconds");
  EXPECT_EQ(ErrorOf(header + "0,inf,1,a,0,1,true\n"),
            "trace.csv:2: column duration: 'inf' is not a number of seconds");
  EXPECT_EQ(ErrorOf(header + "0,10,1,a,high,1,true\n"),
            "trace.csv:2: column priority: 'high' is not a whole number");
  EXPECT_EQ(ErrorOf(header + "0,10,1,a,0,0,true\n"),
            "trace.csv:2: column replicas: '0' must be at least 1");
  EXPECT_EQ(ErrorOf(header + "0,10,1,a,0,1,maybe\n"),
            "trace.csv:2: column preemptible: 'maybe' is not true or false");
  EXPECT_EQ(ErrorOf(header + "0,10,1,,0,1,true\n"),
            "trace.csv:2: column team: a value is required");
  EXPECT_EQ(ErrorOf(header + "1e11,10,1,a,0,1,true\n"),
            "trace.csv:2: column submit_time: '1e11' is more than 10,000,000,000 seconds");
  EXPECT_EQ(ErrorOf(header + "0,10,1,a,0,1000000,true\n"),
            "trace.csv:2: column replicas: '1000000' must be at most 100000");
  EXPECT_THAT(ErrorOf(header + "0,10,4096,a,0,1,true\n"),
              HasSubstr("column gpus: '4096' is not a valid GPU count"));
}

TEST(TraceTest, MigProfileIsCheckedAndExcludesGpus) {
  const std::string header = "submit_time,duration,gpus,team,priority,mig_profile\n";
  EXPECT_THAT(ErrorOf(header + "0,10,,a,0,5g.50gb\n"),
              HasSubstr("trace.csv:2: column mig_profile: '5g.50gb' unknown MIG profile"));
  EXPECT_EQ(ErrorOf(header + "0,10,1,a,0,3g.40gb\n"),
            "trace.csv:2: column gpus: '1' must be empty or 0 when mig_profile is given");
}

TEST(TraceTest, HeaderProblems) {
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team,priority,gpu\n"),
              HasSubstr("trace.csv:1: unknown column 'gpu' (known columns: submit_time,"));
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team\n"),
              HasSubstr("trace.csv:1: the header lacks the required column 'priority'"));
  EXPECT_THAT(ErrorOf("submit_time,duration,gpus,team,priority,team\n"),
              HasSubstr("column 'team' appears twice"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("trace.csv: empty trace"));
}

TEST(TraceTest, RowShapeProblems) {
  const std::string header = "id,submit_time,duration,gpus,team,priority\n";
  EXPECT_EQ(ErrorOf(header + "a,0,10,1,t\n"),
            "trace.csv:2: 5 fields, but the header names 6 columns");
  EXPECT_EQ(ErrorOf(header + "\"a,0,10,1,t,0\n"), "trace.csv:2: unterminated quoted field");
  EXPECT_EQ(ErrorOf(header + "a,0,10,1,t,0\na,1,10,1,t,0\n"),
            "trace.csv:3: column id: 'a' is used by an earlier row");
}

}  // namespace
}  // namespace plinth::sched
