// The kubernetes executor against a fake kubectl (testdata/fake_kubectl.py)
// that keeps objects as files: what is applied, the argv of every call, and
// how Job and pod states map to replica states.
#include "plinth/exec/kubernetes_executor.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/files.h"

namespace plinth::exec {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class KubernetesExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    base_ = fs::path(::testing::TempDir()) / absl::StrCat("plinth_k8s_", getpid(), "_", counter++);
    state_ = base_ / "state";
    fs::create_directories(state_);
    executor_ = NewExecutor(Options());
  }
  void TearDown() override { fs::remove_all(base_); }

  KubernetesOptions Options() {
    KubernetesOptions options;
    options.kubectl = PLINTH_FAKE_KUBECTL_PATH;
    options.ns = "ml";
    options.termination_grace_s = 45;
    options.env["FAKE_KUBECTL_STATE"] = state_.string();
    return options;
  }

  std::unique_ptr<KubernetesExecutor> NewExecutor(KubernetesOptions options) {
    auto executor = KubernetesExecutor::Create(std::move(options));
    EXPECT_TRUE(executor.ok()) << executor.status();
    return executor.ok() ? std::move(executor).value() : nullptr;
  }

  LaunchSpec Spec(int replica = 0) {
    LaunchSpec spec;
    spec.job_id = "0123456789abcdef";
    spec.replica = replica;
    spec.attempt = 2;
    spec.name = absl::StrCat("train-", replica);
    spec.argv = {"python3", "train.py", "--epochs", "3"};
    spec.env = {{"PLINTH_JOB_ID", "0123456789abcdef"},
                {"PLINTH_URL", "http://127.0.0.1:8470"},
                {"CUDA_VISIBLE_DEVICES", "0"},
                {"NVIDIA_VISIBLE_DEVICES", "0"}};
    spec.log_dir = (base_ / "jobs" / absl::StrCat("replica-", replica)).string();
    spec.image = "ghcr.io/acme/train:1.0";
    spec.queue = "vision";
    spec.team = "vision";
    return spec;
  }

  std::string Launch(const LaunchSpec& spec) {
    auto handle = executor_->Launch(spec);
    EXPECT_TRUE(handle.ok()) << handle.status();
    return handle.ok() ? *handle : "";
  }

  fs::path ObjectPath(const std::string& kind, const std::string& name) {
    return state_ / "objects" / "ml" / kind / (name + ".json");
  }
  Json Object(const std::string& kind, const std::string& name) {
    auto text = ReadFile(ObjectPath(kind, name));
    EXPECT_TRUE(text.ok()) << kind << " " << name << " was not applied";
    return text.ok() ? Json::parse(*text) : Json();
  }
  void SetJobStatus(const std::string& name, Json status) {
    Json job = Object("job", name);
    job["status"] = std::move(status);
    ASSERT_TRUE(WriteFileAtomic(ObjectPath("job", name), job.dump()).ok());
  }
  void AddPod(const std::string& job, Json terminated) {
    Json pod = {{"metadata", {{"name", job + "-x1"}, {"labels", {{"job-name", job}}}}},
                {"status",
                 {{"containerStatuses",
                   Json::array({{{"name", "main"}, {"state", {{"terminated", terminated}}}}})}}}};
    ASSERT_TRUE(WriteFileAtomic(ObjectPath("pod", job + "-x1"), pod.dump()).ok());
  }
  void WriteLog(const std::string& job, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(state_ / "logs" / "ml" / (job + ".log"), text).ok());
  }
  void Touch(const std::string& file, const std::string& text = "") {
    ASSERT_TRUE(WriteFileAtomic(state_ / file, text).ok());
  }
  // The arguments of every kubectl call so far, without the global flags.
  std::vector<std::vector<std::string>> Calls() {
    std::vector<std::vector<std::string>> out;
    auto text = ReadFile(state_ / "calls.jsonl");
    if (!text.ok()) return out;
    for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
      std::vector<std::string> argv = Json::parse(line)["argv"];
      std::vector<std::string> rest;
      for (const std::string& a : argv) {
        if (a.rfind("--namespace=", 0) != 0 && a.rfind("--request-timeout=", 0) != 0) {
          rest.push_back(a);
        }
      }
      out.push_back(rest);
    }
    return out;
  }
  std::vector<std::string> RawCall(size_t i) {
    auto text = ReadFile(state_ / "calls.jsonl");
    std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipEmpty());
    return Json::parse(lines.at(i))["argv"];
  }

  fs::path base_, state_;
  std::unique_ptr<KubernetesExecutor> executor_;
  const std::string kJob0 = "plinth-0123456789abcdef-a2-r0";
};

// ---- Create and handles ----

TEST_F(KubernetesExecutorTest, CreateNeedsKubectlAndValidOptions) {
  KubernetesOptions missing = Options();
  missing.kubectl = "/nonexistent/kubectl";
  auto made = KubernetesExecutor::Create(missing);
  EXPECT_EQ(made.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(made.status().message(), HasSubstr("executors.kubernetes.kubectl"));
  missing.kubectl = "plinth-no-such-kubectl";
  EXPECT_THAT(KubernetesExecutor::Create(missing).status().message(),
              HasSubstr("not found in PATH"));

  KubernetesOptions bad_ns = Options();
  bad_ns.ns = "My_Namespace";
  EXPECT_THAT(KubernetesExecutor::Create(bad_ns).status().message(),
              HasSubstr("executors.kubernetes.namespace"));
  KubernetesOptions bad_timeout = Options();
  bad_timeout.command_timeout_s = 0;
  EXPECT_EQ(KubernetesExecutor::Create(bad_timeout).status().code(),
            absl::StatusCode::kInvalidArgument);
  KubernetesOptions bad_url = Options();
  bad_url.server_url = "plinth:8470";
  EXPECT_THAT(KubernetesExecutor::Create(bad_url).status().message(), HasSubstr("http://"));
  // No cluster is contacted at creation.
  EXPECT_TRUE(Calls().empty());
}

TEST(KubernetesHandleTest, RoundTripsAndRejectsOthers) {
  KubernetesExecutor::Handle h{"ml", "plinth-ab-a1-r0", "/var/plinth/jobs/ab/1/replica-0|x"};
  std::string text = KubernetesExecutor::FormatHandle(h);
  EXPECT_EQ(text, "k8s1|ml|plinth-ab-a1-r0|/var/plinth/jobs/ab/1/replica-0|x");
  auto parsed = KubernetesExecutor::ParseHandle(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->ns, "ml");
  EXPECT_EQ(parsed->job, "plinth-ab-a1-r0");
  EXPECT_EQ(parsed->log_dir, h.log_dir);
  for (const char* bad : {"slurm:12:/tmp", "k8s1|ml|job", "k8s1|ML|job|/tmp", "k8s1|ml|job|rel"}) {
    EXPECT_EQ(KubernetesExecutor::ParseHandle(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(KubernetesNamesTest, NamesAreDnsLabels) {
  LaunchSpec spec;
  spec.job_id = "Job_ID.With Caps-and-a-very-long-tail-0123456789";
  spec.attempt = 12;
  spec.replica = 3;
  auto names = NamesFor(spec, "ml");
  ASSERT_TRUE(names.ok()) << names.status();
  EXPECT_EQ(names->service, "plinth-job-id-with-caps-and-a-very-long-a12");
  EXPECT_EQ(names->job, "plinth-job-id-with-caps-and-a-very-long-a12-r3");
  EXPECT_EQ(names->master_host,
            "plinth-job-id-with-caps-and-a-very-long-a12-r0."
            "plinth-job-id-with-caps-and-a-very-long-a12.ml.svc");
  spec.job_id = "___";
  EXPECT_EQ(NamesFor(spec, "ml").status().code(), absl::StatusCode::kInvalidArgument);
}

// ---- What is applied ----

TEST_F(KubernetesExecutorTest, OneGpuJobManifest) {
  LaunchSpec spec = Spec();
  spec.gpus = 1;
  spec.cpus = 4;
  spec.memory_mib = 16384;
  spec.max_runtime_s = 3600;
  spec.working_dir = "/workspace";
  std::string handle = Launch(spec);
  EXPECT_EQ(handle, absl::StrCat("k8s1|ml|", kJob0, "|", spec.log_dir));

  std::string file = spec.log_dir + "/k8s-job.json";
  EXPECT_THAT(RawCall(0), ElementsAre("--namespace=ml", "--request-timeout=30s", "apply", "-f",
                                      file, "-o", "json"));
  ASSERT_EQ(Calls().size(), 1u);  // no Service for a job that is not distributed
  Json limits = {{"nvidia.com/gpu", 1}, {"cpu", "4000m"}, {"memory", "16384Mi"}};
  Json labels = {{"plinth.dev/job-id", "0123456789abcdef"},
                 {"plinth.dev/attempt", "2"},
                 {"plinth.dev/replica", "0"},
                 {"plinth.dev/team", "vision"}};
  Json job_labels = labels;
  job_labels["kueue.x-k8s.io/queue-name"] = "vision";
  Json expected = {
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata",
       {{"name", kJob0},
        {"namespace", "ml"},
        {"labels", job_labels},
        {"annotations", {{"plinth.dev/name", "train-0"}}}}},
      {"spec",
       {{"parallelism", 1},
        {"completions", 1},
        {"backoffLimit", 0},
        {"ttlSecondsAfterFinished", 3600},
        {"activeDeadlineSeconds", 3600},
        {"template",
         {{"metadata", {{"labels", labels}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"terminationGracePeriodSeconds", 45},
            {"containers",
             Json::array(
                 {{{"name", "main"},
                   {"image", "ghcr.io/acme/train:1.0"},
                   {"command", {"python3", "train.py", "--epochs", "3"}},
                   // The device plugin, not Plinth's inventory, picks the GPU.
                   {"env",
                    Json::array({{{"name", "PLINTH_JOB_ID"}, {"value", "0123456789abcdef"}},
                                 {{"name", "PLINTH_URL"}, {"value", "http://127.0.0.1:8470"}}})},
                   {"workingDir", "/workspace"},
                   {"resources", {{"limits", limits}, {"requests", limits}}}}})}}}}}}}};
  auto written = ReadFile(file);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(Json::parse(*written), expected);
  Json applied = Object("job", kJob0);
  applied["spec"]["template"]["metadata"]["labels"].erase("job-name");  // the fake adds it
  applied["metadata"].erase("uid");
  EXPECT_EQ(applied, expected) << applied.dump(2);
}

TEST_F(KubernetesExecutorTest, MigJobAsksForTheSlice) {
  LaunchSpec spec = Spec();
  spec.mig_profile = "1g.10gb";
  Launch(spec);
  Json resources = Object("job", kJob0)["spec"]["template"]["spec"]["containers"][0]["resources"];
  Json limits = {{"nvidia.com/mig-1g.10gb", 1}};
  EXPECT_EQ(resources, Json({{"limits", limits}, {"requests", limits}}));
}

TEST_F(KubernetesExecutorTest, ConfigFlagsAndServerUrlReachKubectlAndPods) {
  KubernetesOptions options = Options();
  options.kubeconfig = "/etc/plinth/kubeconfig";
  options.context = "gpu-cluster";
  options.server_url = "http://plinth.ml.svc:8470";
  executor_ = NewExecutor(options);
  LaunchSpec spec = Spec();
  spec.env["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:8470";
  Launch(spec);
  std::vector<std::string> argv = RawCall(0);
  EXPECT_EQ(argv[0], "--kubeconfig=/etc/plinth/kubeconfig");
  EXPECT_EQ(argv[1], "--context=gpu-cluster");
  Json env = Object("job", kJob0)["spec"]["template"]["spec"]["containers"][0]["env"];
  EXPECT_THAT(env.dump(),
              HasSubstr(R"({"name":"PLINTH_URL","value":"http://plinth.ml.svc:8470"})"));
  EXPECT_THAT(env.dump(),
              HasSubstr(R"({"name":"MLFLOW_TRACKING_URI","value":"http://plinth.ml.svc:8470"})"));
}

TEST_F(KubernetesExecutorTest, GangGetsServiceAndMasterAddr) {
  std::vector<std::string> handles;
  for (int i = 0; i < 2; ++i) {
    LaunchSpec spec = Spec(i);
    spec.gpus = 8;
    spec.env["MASTER_ADDR"] = "gpu-node-1";  // the scheduler's node: meaningless to pods
    spec.env["MASTER_PORT"] = "23456";
    spec.env["WORLD_SIZE"] = "2";
    spec.env["RANK"] = absl::StrCat(i);
    spec.env["LOCAL_RANK"] = absl::StrCat(i);
    handles.push_back(Launch(spec));
  }
  const std::string service = "plinth-0123456789abcdef-a2";
  const std::string master = absl::StrCat(kJob0, ".", service, ".ml.svc");
  for (int i = 0; i < 2; ++i) {
    Json pod = Object("job", absl::StrCat(service, "-r", i))["spec"]["template"]["spec"];
    EXPECT_EQ(pod["hostname"], absl::StrCat(service, "-r", i));
    EXPECT_EQ(pod["subdomain"], service);
    std::string env = pod["containers"][0]["env"].dump();
    EXPECT_THAT(env, HasSubstr(absl::StrCat(R"({"name":"MASTER_ADDR","value":")", master, "\"}")));
    EXPECT_THAT(env, HasSubstr(R"({"name":"LOCAL_RANK","value":"0"})"));
    EXPECT_THAT(env, HasSubstr(absl::StrCat(R"({"name":"RANK","value":")", i, "\"}")));
    EXPECT_EQ(pod["containers"][0]["ports"],
              Json::parse(R"([{"name":"master","containerPort":23456}])"));
  }
  Json svc = Object("service", service);
  EXPECT_EQ(svc["spec"]["clusterIP"], "None");
  EXPECT_EQ(svc["spec"]["publishNotReadyAddresses"], true);
  EXPECT_EQ(svc["spec"]["selector"],
            Json({{"plinth.dev/job-id", "0123456789abcdef"}, {"plinth.dev/attempt", "2"}}));
  EXPECT_EQ(svc["metadata"]["ownerReferences"],
            Json::parse(absl::StrCat(R"([{"apiVersion":"batch/v1","kind":"Job","name":")", kJob0,
                                     R"(","uid":"uid-)", kJob0, R"("}])")));
  // Replica 0 applies its Job then the Service; replica 1 only its Job.
  std::vector<std::vector<std::string>> calls = Calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1][2], Spec(0).log_dir + "/k8s-service.json");
  EXPECT_EQ(calls[2][2], Spec(1).log_dir + "/k8s-job.json");
}

TEST_F(KubernetesExecutorTest, UnrunnableSpecsFailBeforeKubectl) {
  LaunchSpec no_image = Spec();
  no_image.image.clear();
  auto r = executor_->Launch(no_image);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("add `image:`"));

  LaunchSpec fraction = Spec();
  fraction.env["PLINTH_GPU_FRACTION"] = "0.5";
  r = executor_->Launch(fraction);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("whole GPUs and MIG slices only"));
  EXPECT_THAT(r.status().message(), HasSubstr("0.5"));

  LaunchSpec bad_mig = Spec();
  bad_mig.mig_profile = "1g 10gb";
  EXPECT_EQ(executor_->Launch(bad_mig).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Calls().empty());
}

TEST_F(KubernetesExecutorTest, RejectedAndUnreachable) {
  Touch("reject", R"(Error from server (Forbidden): jobs.batch is forbidden: exceeded quota)");
  auto r = executor_->Launch(Spec());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("Kubernetes rejected the Job: Error from server"));
  fs::remove(state_ / "reject");

  std::string handle = Launch(Spec());
  Touch("unreachable");
  EXPECT_EQ(executor_->Launch(Spec()).status().code(), absl::StatusCode::kUnavailable);
  auto polled = executor_->Poll(handle);
  EXPECT_EQ(polled.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(polled.status().message(), HasSubstr("was refused"));
  EXPECT_EQ(executor_->Kill(handle).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(executor_->Signal(handle, SIGTERM).code(), absl::StatusCode::kUnavailable);
}

TEST_F(KubernetesExecutorTest, HungKubectlTimesOutAsUnavailable) {
  KubernetesOptions options = Options();
  options.command_timeout_s = 1;
  executor_ = NewExecutor(options);
  Touch("hang");
  auto polled = executor_->Poll(absl::StrCat("k8s1|ml|", kJob0, "|", Spec().log_dir));
  EXPECT_EQ(polled.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(polled.status().message(), HasSubstr("did not answer"));
}

// ---- Poll ----

TEST_F(KubernetesExecutorTest, PollFollowsTheJobAndCopiesLogs) {
  LaunchSpec spec = Spec();
  std::string handle = Launch(spec);
  auto s = executor_->Poll(handle);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state, ReplicaState::kRunning);
  EXPECT_EQ(s->message, "pending");

  SetJobStatus(kJob0, {{"active", 1}});
  WriteLog(kJob0, "epoch 1\n");
  s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kRunning);
  EXPECT_EQ(ReadFile(spec.log_dir + "/output.log").value_or(""), "epoch 1\n");

  SetJobStatus(kJob0, {{"succeeded", 1},
                       {"conditions", Json::array({{{"type", "Complete"}, {"status", "True"}}})}});
  WriteLog(kJob0, "epoch 1\nepoch 2\ndone\n");
  s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kSucceeded);
  EXPECT_EQ(s->exit_code, 0);
  EXPECT_EQ(ReadFile(spec.log_dir + "/output.log").value_or(""), "epoch 1\nepoch 2\ndone\n");
  EXPECT_THAT(Calls().back(), ElementsAre("logs", "job/" + kJob0, "-c", "main"));

  // The outcome outlives the Job (its TTL, a Kill): no kubectl call needed.
  fs::remove(ObjectPath("job", kJob0));
  size_t calls = Calls().size();
  s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kSucceeded);
  EXPECT_EQ(Calls().size(), calls);
}

TEST_F(KubernetesExecutorTest, FailedJobReportsTheContainerExitCode) {
  std::string handle = Launch(Spec());
  SetJobStatus(kJob0, {{"failed", 1},
                       {"conditions", Json::array({{{"type", "Failed"},
                                                    {"status", "True"},
                                                    {"reason", "BackoffLimitExceeded"}}})}});
  AddPod(kJob0, {{"exitCode", 3}, {"reason", "Error"}});
  auto s = executor_->Poll(handle);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->exit_code, 3);
  EXPECT_EQ(s->message, "exited with code 3");
  EXPECT_THAT(Calls().at(2), ElementsAre("get", "pods", "-l", "job-name=" + kJob0, "-o", "json"));
}

TEST_F(KubernetesExecutorTest, OomKilledAndDeadlineExceeded) {
  std::string handle = Launch(Spec());
  SetJobStatus(kJob0, {{"failed", 1}});
  AddPod(kJob0, {{"exitCode", 137}, {"reason", "OOMKilled"}});
  auto s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->exit_code, 137);
  EXPECT_EQ(s->message, "OOMKilled (exit code 137)");

  LaunchSpec other = Spec(1);
  std::string deadline = Launch(other);
  std::string job1 = "plinth-0123456789abcdef-a2-r1";
  SetJobStatus(job1,
               {{"failed", 1},
                {"conditions",
                 Json::array({{{"type", "Failed"},
                               {"status", "True"},
                               {"reason", "DeadlineExceeded"},
                               {"message", "Job was active longer than specified deadline"}}})}});
  s = executor_->Poll(deadline);
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->exit_code, 1);
  EXPECT_EQ(s->message,
            "Kubernetes Job failed: DeadlineExceeded (Job was active longer than specified "
            "deadline)");
}

TEST_F(KubernetesExecutorTest, JobDeletedOutsidePlinthIsLost) {
  std::string handle = Launch(Spec());
  fs::remove(ObjectPath("job", kJob0));
  auto s = executor_->Poll(handle);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->state, ReplicaState::kLost);
  EXPECT_THAT(s->message, HasSubstr("is gone"));
}

// Issue 9: many replicas cost one list of the namespace's Plinth Jobs.
TEST_F(KubernetesExecutorTest, PollAllAsksForEveryJobInOneRequest) {
  std::vector<std::string> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(Launch(Spec(i)));
  auto job_name = [](int i) { return absl::StrCat("plinth-0123456789abcdef-a2-r", i); };
  SetJobStatus(job_name(1),
               {{"succeeded", 1},
                {"conditions", Json::array({{{"type", "Complete"}, {"status", "True"}}})}});
  fs::remove(ObjectPath("job", job_name(2)));  // deleted outside Plinth
  size_t before = Calls().size();
  auto polled = executor_->PollAll(handles);
  ASSERT_EQ(polled.size(), 3u);
  ASSERT_TRUE(polled.at(handles[0]).ok()) << polled.at(handles[0]).status();
  EXPECT_EQ(polled.at(handles[0])->state, ReplicaState::kRunning);
  EXPECT_EQ(polled.at(handles[1])->state, ReplicaState::kSucceeded);
  EXPECT_EQ(polled.at(handles[2])->state, ReplicaState::kLost);
  std::vector<std::vector<std::string>> calls = Calls();
  int gets = 0;
  for (size_t i = before; i < calls.size(); ++i) {
    if (calls[i][0] != "get") continue;
    ++gets;
    EXPECT_THAT(calls[i], ElementsAre("get", "jobs", "-l", "plinth.dev/job-id", "-o", "json"));
  }
  EXPECT_EQ(gets, 1);

  // A recorded outcome needs no request; an unreachable API server is
  // every other replica's answer.
  Touch("unreachable");
  polled = executor_->PollAll(handles);
  EXPECT_EQ(polled.at(handles[1])->state, ReplicaState::kSucceeded);
  EXPECT_EQ(polled.at(handles[0]).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(polled.at(handles[2]).status().code(), absl::StatusCode::kUnavailable);
}

// ---- Signal and Kill ----

TEST_F(KubernetesExecutorTest, SigtermDeletesWithGraceAndEndsKilledBySigterm) {
  std::string handle = Launch(Spec());
  SetJobStatus(kJob0, {{"active", 1}});
  Touch("slow_delete");
  ASSERT_TRUE(executor_->Signal(handle, SIGTERM).ok());
  EXPECT_THAT(Calls().back(),
              ElementsAre("delete", "job", kJob0, "--ignore-not-found", "--wait=false",
                          "--cascade=foreground", "--grace-period=45"));
  // While the pod gets its grace period, the Job is still there, being deleted.
  auto s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kRunning);
  EXPECT_THAT(s->message, HasSubstr("stopping"));
  fs::remove(ObjectPath("job", kJob0));
  s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->term_signal, SIGTERM);
  EXPECT_EQ(s->message, "killed by SIGTERM");
}

TEST_F(KubernetesExecutorTest, OtherSignalsExecKillInThePod) {
  std::string handle = Launch(Spec());
  ASSERT_TRUE(executor_->Signal(handle, SIGUSR1).ok());
  EXPECT_THAT(Calls().back(),
              ElementsAre("exec", "job/" + kJob0, "-c", "main", "--pod-running-timeout=5s", "--",
                          "sh", "-c", absl::StrCat("kill -", SIGUSR1, " 1")));
  // A pod that is not running has nothing to signal.
  Touch("exec_error", R"(error: unable to upgrade connection: container not found ("main"))");
  EXPECT_TRUE(executor_->Signal(handle, SIGUSR1).ok());
  Touch("exec_error", "OCI runtime exec failed: exec: \"sh\": executable file not found");
  absl::Status st = executor_->Signal(handle, SIGUSR1);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(st.message(), HasSubstr("executable file not found"));
  EXPECT_EQ(executor_->Signal(handle, 0).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(KubernetesExecutorTest, KillForceDeletesAndIsIdempotent) {
  std::string handle = Launch(Spec());
  SetJobStatus(kJob0, {{"active", 1}});
  AddPod(kJob0, Json::object());
  ASSERT_TRUE(executor_->Kill(handle).ok());
  std::vector<std::vector<std::string>> calls = Calls();
  EXPECT_THAT(calls[calls.size() - 2], ElementsAre("delete", "job", kJob0, "--ignore-not-found",
                                                   "--wait=false", "--cascade=background"));
  EXPECT_THAT(calls.back(),
              ElementsAre("delete", "pods", "-l", "job-name=" + kJob0, "--ignore-not-found",
                          "--wait=false", "--grace-period=0", "--force"));
  EXPECT_FALSE(fs::exists(ObjectPath("job", kJob0)));
  EXPECT_TRUE(executor_->Kill(handle).ok());  // already gone
  auto s = executor_->Poll(handle);
  EXPECT_EQ(s->state, ReplicaState::kFailed);
  EXPECT_EQ(s->term_signal, SIGKILL);
  EXPECT_EQ(s->message, "killed by SIGKILL");
}

TEST_F(KubernetesExecutorTest, AbandonDeletesTheJobAppliedFromAFolder) {
  LaunchSpec spec = Spec();
  Launch(spec);
  ASSERT_TRUE(fs::exists(ObjectPath("job", kJob0)));
  ASSERT_TRUE(executor_->Abandon(spec.log_dir).ok());  // the name comes from k8s-job.json
  EXPECT_FALSE(fs::exists(ObjectPath("job", kJob0)));
  EXPECT_TRUE(executor_->Abandon((fs::path(spec.log_dir) / "never-used").string()).ok());
}

TEST_F(KubernetesExecutorTest, RelaunchInTheSameFolderForgetsTheOldOutcome) {
  LaunchSpec spec = Spec();
  std::string handle = Launch(spec);
  ASSERT_TRUE(executor_->Kill(handle).ok());
  EXPECT_EQ(executor_->Poll(handle)->state, ReplicaState::kFailed);
  handle = Launch(spec);
  EXPECT_EQ(executor_->Poll(handle)->state, ReplicaState::kRunning);
}

}  // namespace
}  // namespace plinth::exec
