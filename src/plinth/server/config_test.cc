#include "plinth/server/config.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::server {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Message(const absl::Status& s) { return std::string(s.message()); }

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ =
        fs::path(::testing::TempDir()) / absl::StrCat("plinth_config_", getpid(), "_", counter++);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& yaml) {
    std::string path = (dir_ / "plinth.yaml").string();
    std::ofstream(path) << yaml;
    return path;
  }

  absl::StatusOr<Config> Load(const std::string& yaml, Config base = {}) {
    return LoadConfigFile(Write(yaml), base);
  }

  // The error for `yaml`, which must not load.
  std::string ErrorFor(const std::string& yaml) {
    auto config = Load(yaml);
    EXPECT_FALSE(config.ok()) << yaml;
    if (config.ok()) return "";
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument) << yaml;
    return Message(config.status());
  }

  fs::path dir_;
};

TEST_F(ConfigFileTest, ReadsEveryKey) {
  auto config = Load(R"(
server:
  host: 0.0.0.0
  port: 9000
  home: /srv/plinth
  url: http://plinth-1.internal:9000
  insecure: true
  io_threads: 3
  worker_threads: 16
database:
  url: postgresql://u@db/plinth
auth:
  require_tokens: true
limits:
  max_body_bytes: 2097152
  max_artifact_bytes: 1073741824
log:
  level: debug
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->host, "0.0.0.0");
  EXPECT_EQ(config->port, 9000);
  EXPECT_EQ(config->home, "/srv/plinth");
  EXPECT_EQ(config->url, "http://plinth-1.internal:9000");
  EXPECT_TRUE(config->insecure);
  EXPECT_EQ(config->io_threads, 3);
  EXPECT_EQ(config->worker_threads, 16);
  EXPECT_EQ(config->database, "postgresql://u@db/plinth");
  EXPECT_TRUE(config->require_tokens);
  EXPECT_EQ(config->max_body_bytes, 2097152u);
  EXPECT_EQ(config->max_artifact_bytes, 1073741824u);
  EXPECT_EQ(config->log_level, "debug");
}

TEST_F(ConfigFileTest, KeysNotInTheFileKeepTheBaseValues) {
  Config base;
  base.home = "/from/flags";
  base.port = 1234;
  base.log_level = "warn";
  auto config = Load("server:\n  port: 8080\n", base);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->port, 8080);
  EXPECT_EQ(config->home, "/from/flags");
  EXPECT_EQ(config->log_level, "warn");
  EXPECT_EQ(config->host, "127.0.0.1");
  EXPECT_EQ(config->max_body_bytes, 1u << 20);
}

TEST_F(ConfigFileTest, EmptyFileIsTheBase) {
  Config base;
  base.port = 4321;
  auto config = Load("", base);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->port, 4321);
  auto comments_only = Load("# nothing here\n", base);
  ASSERT_TRUE(comments_only.ok()) << comments_only.status();
  EXPECT_EQ(comments_only->port, 4321);
}

TEST_F(ConfigFileTest, UnknownKeyNamesSectionAndKey) {
  std::string error = ErrorFor("server:\n  prot: 8470\n");
  EXPECT_THAT(error, HasSubstr("server.prot: unknown key"));
  EXPECT_THAT(error, HasSubstr("plinth.yaml"));
  EXPECT_THAT(ErrorFor("log:\n  lvl: info\n"), HasSubstr("log.lvl: unknown key"));
}

TEST_F(ConfigFileTest, UnknownSectionIsNamed) {
  std::string error = ErrorFor("sever:\n  port: 1\n");
  EXPECT_THAT(error, HasSubstr("sever: unknown section"));
  EXPECT_THAT(error, HasSubstr("server, database, artifacts, auth, limits, log"));
}

TEST_F(ConfigFileTest, WrongTypesNameTheKeyAndWhatToWrite) {
  EXPECT_THAT(ErrorFor("server:\n  port: eighty\n"), HasSubstr("server.port: expected a number"));
  EXPECT_THAT(ErrorFor("server:\n  port: 80.5\n"), HasSubstr("server.port: expected a number"));
  EXPECT_THAT(ErrorFor("server:\n  insecure: maybe\n"),
              HasSubstr("server.insecure: expected true or false"));
  EXPECT_THAT(ErrorFor("server:\n  host: [a, b]\n"), HasSubstr("server.host: expected a string"));
  EXPECT_THAT(ErrorFor("auth:\n  require_tokens: 2\n"),
              HasSubstr("auth.require_tokens: expected true or false"));
  EXPECT_THAT(ErrorFor("limits:\n  max_body_bytes: big\n"),
              HasSubstr("limits.max_body_bytes: expected a number"));
}

TEST_F(ConfigFileTest, ReadsConnectionLimits) {
  auto config = Load("server:\n  header_timeout: 2m\n  max_connections: 100\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->header_timeout_seconds, 120);
  EXPECT_EQ(config->max_connections, 100);
  EXPECT_THAT(ErrorFor("server:\n  header_timeout: soon\n"),
              HasSubstr("server.header_timeout: 'soon' is not a duration"));
  Config zero;
  zero.header_timeout_seconds = 0;
  EXPECT_THAT(std::string(ValidateConfig(zero).message()), HasSubstr("at least 1s"));
}

TEST_F(ConfigFileTest, ByteLimitsMustBePositive) {
  EXPECT_THAT(ErrorFor("limits:\n  max_body_bytes: 0\n"),
              HasSubstr("limits.max_body_bytes: must be positive"));
  EXPECT_THAT(ErrorFor("limits:\n  max_artifact_bytes: -5\n"),
              HasSubstr("limits.max_artifact_bytes: must be positive"));
}

TEST_F(ConfigFileTest, SectionsMustBeMappings) {
  EXPECT_THAT(ErrorFor("server: 5\n"), HasSubstr("server: expected a mapping"));
  EXPECT_THAT(ErrorFor("- a\n- b\n"), HasSubstr("expected a mapping"));
}

TEST_F(ConfigFileTest, InvalidYamlIsReported) {
  EXPECT_THAT(ErrorFor("server: [\n"), HasSubstr("invalid YAML"));
}

TEST_F(ConfigFileTest, MissingFileIsNotFound) {
  auto config = LoadConfigFile((dir_ / "absent.yaml").string(), Config{});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(config.status()), HasSubstr("absent.yaml"));
}

TEST(ValidateConfigTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateConfig(Config{}).ok());
  Config any_port;
  any_port.port = 0;
  EXPECT_TRUE(ValidateConfig(any_port).ok());
}

TEST(ValidateConfigTest, RejectsBadValues) {
  auto invalid = [](auto mutate) {
    Config c;
    mutate(c);
    absl::Status s = ValidateConfig(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    return Message(s);
  };
  EXPECT_THAT(invalid([](Config& c) { c.port = -1; }), HasSubstr("-1"));
  EXPECT_THAT(invalid([](Config& c) { c.port = 65536; }), HasSubstr("0-65535"));
  EXPECT_THAT(invalid([](Config& c) { c.io_threads = 0; }), HasSubstr("io_threads"));
  EXPECT_THAT(invalid([](Config& c) { c.url = "plinth-1:8470"; }), HasSubstr("server.url"));
  EXPECT_THAT(invalid([](Config& c) { c.worker_threads = 0; }), HasSubstr("worker_threads"));
  EXPECT_THAT(invalid([](Config& c) { c.log_level = "verbose"; }), HasSubstr("verbose"));
  for (const char* level : {"debug", "info", "warn", "error"}) {
    Config c;
    c.log_level = level;
    EXPECT_TRUE(ValidateConfig(c).ok()) << level;
  }
}

TEST(IsLoopbackTest, LoopbackAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "::1", "localhost"}) {
    EXPECT_TRUE(IsLoopback(host)) << host;
  }
  for (const char* host :
       {"0.0.0.0", "10.0.0.1", "192.168.1.5", "::", "", "128.0.0.1", "example.com"}) {
    EXPECT_FALSE(IsLoopback(host)) << host;
  }
}

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    if (value)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(ConfigFileTest, ReadsTheKubernetesExecutor) {
  auto config = Load(R"(
jobs:
  executor: kubernetes
executors:
  kubernetes:
    kubectl: /usr/local/bin/kubectl
    kubeconfig: /etc/plinth/kubeconfig
    context: gpu-cluster
    namespace: ml-jobs
    command_timeout_s: 20
    termination_grace_s: 90
    server_url: http://plinth.ml.svc:8470
    env: {HTTPS_PROXY: "http://proxy:3128"}
)");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->jobs.executor, "kubernetes");
  ASSERT_TRUE(config->jobs.kubernetes.has_value());
  const exec::KubernetesOptions& k = *config->jobs.kubernetes;
  EXPECT_EQ(k.kubectl, "/usr/local/bin/kubectl");
  EXPECT_EQ(k.kubeconfig, "/etc/plinth/kubeconfig");
  EXPECT_EQ(k.context, "gpu-cluster");
  EXPECT_EQ(k.ns, "ml-jobs");
  EXPECT_EQ(k.command_timeout_s, 20);
  EXPECT_EQ(k.termination_grace_s, 90);
  EXPECT_EQ(k.server_url, "http://plinth.ml.svc:8470");
  EXPECT_EQ(k.env.at("HTTPS_PROXY"), "http://proxy:3128");

  auto defaults = Load("executors:\n  kubernetes: {}\n");
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  ASSERT_TRUE(defaults->jobs.kubernetes.has_value());
  EXPECT_EQ(defaults->jobs.kubernetes->kubectl, "kubectl");
  EXPECT_EQ(defaults->jobs.kubernetes->ns, "default");
  EXPECT_EQ(defaults->jobs.kubernetes->command_timeout_s, 30);
  EXPECT_FALSE(Load("").value().jobs.kubernetes.has_value());
}

TEST_F(ConfigFileTest, RejectsBadKubernetesKeys) {
  EXPECT_THAT(ErrorFor("executors:\n  kubernetes:\n    namespce: ml\n"),
              HasSubstr("executors.kubernetes.namespce: unknown key"));
  EXPECT_THAT(ErrorFor("executors:\n  kubernetes:\n    command_timeout_s: 0\n"),
              HasSubstr("executors.kubernetes.command_timeout_s: must be positive"));
  EXPECT_THAT(ErrorFor("executors:\n  kubernetes:\n    termination_grace_s: -1\n"),
              HasSubstr("executors.kubernetes.termination_grace_s: must be >= 0"));
  EXPECT_THAT(ErrorFor("executors:\n  kubernetes: 5\n"),
              HasSubstr("executors.kubernetes: expected a mapping"));
  EXPECT_THAT(ErrorFor("executors:\n  kubernetes:\n    env: [a]\n"),
              HasSubstr("executors.kubernetes.env: expected a mapping"));
  EXPECT_THAT(ErrorFor("executors:\n  nomad: {}\n"),
              HasSubstr("executors.nomad: unknown executor (local needs no settings; use slurm or "
                        "kubernetes)"));
}

TEST_F(ConfigFileTest, PreemptExemptTimeIsADuration) {
  EXPECT_EQ(Load("").value().jobs.preempt_exempt_ms, sched::kDefaultPreemptExemptMs);
  EXPECT_EQ(Load("jobs:\n  preempt_exempt_time: 2m\n").value().jobs.preempt_exempt_ms, 120000);
  EXPECT_EQ(Load("jobs:\n  preempt_exempt_time: 0\n").value().jobs.preempt_exempt_ms, 0);
  EXPECT_THAT(ErrorFor("jobs:\n  preempt_exempt_time: soon\n"),
              HasSubstr("jobs.preempt_exempt_time: expected a duration"));
}

TEST(DefaultHomeTest, PlinthHomeThenHome) {
  {
    ScopedEnv home("HOME", "/home/tester");
    ScopedEnv plinth_home("PLINTH_HOME", "/data/plinth");
    EXPECT_EQ(DefaultHome(), "/data/plinth");
  }
  {
    ScopedEnv home("HOME", "/home/tester");
    ScopedEnv plinth_home("PLINTH_HOME", "");
    EXPECT_EQ(DefaultHome(), "/home/tester/.plinth");
  }
  {
    ScopedEnv home("HOME", "/home/tester");
    ScopedEnv plinth_home("PLINTH_HOME", nullptr);
    EXPECT_EQ(DefaultHome(), "/home/tester/.plinth");
  }
}

TEST_F(ConfigFileTest, ReadsWhoLocalJobsRunAs) {
  auto config = Load(
      "jobs:\n  uid_range: 70000-70099\n  team_users: {vision: svc-vision}\n  allow_root: true\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->jobs.users.uid_min, 70000);
  EXPECT_EQ(config->jobs.users.uid_max, 70099);
  EXPECT_EQ(config->jobs.users.team_users.at("vision"), "svc-vision");
  EXPECT_TRUE(config->jobs.allow_root);
  EXPECT_THAT(ErrorFor("jobs:\n  uid_range: 10-20\n"), HasSubstr("jobs.uid_range"));
  EXPECT_THAT(ErrorFor("jobs:\n  uid_range: lots\n"), HasSubstr("FIRST-LAST"));
}

}  // namespace
}  // namespace plinth::server
