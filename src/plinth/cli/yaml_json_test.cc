#include "plinth/cli/yaml_json.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace plinth::cli {
namespace {

TEST(YamlJsonTest, ScalarsGetJsonTypes) {
  auto json = YamlToJson(R"(
name: train
replicas: 2
resources: {gpus: 0.5, memory: 16Gi}
preemptible: true
args: [--epochs, 3, "4"]
env: {SEED: "42", EMPTY: ~}
)",
                         "job.yaml");
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ((*json)["replicas"], 2);
  EXPECT_EQ((*json)["resources"]["gpus"], 0.5);
  EXPECT_EQ((*json)["resources"]["memory"], "16Gi");
  EXPECT_EQ((*json)["preemptible"], true);
  EXPECT_EQ((*json)["args"], Json::parse(R"(["--epochs", 3, "4"])"));
  EXPECT_EQ((*json)["env"]["SEED"], "42");  // quoted stays a string
  EXPECT_TRUE((*json)["env"]["EMPTY"].is_null());
}

TEST(YamlJsonTest, ErrorsNameTheLine) {
  auto bad = YamlToJson("name: x\nargs: [1, 2\n", "job.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr("job.yaml:"));
  EXPECT_THAT(std::string(YamlToJson("", "e.yaml").status().message()),
              ::testing::HasSubstr("empty"));
  EXPECT_THAT(std::string(YamlToJson("a: 1\n---\nb: 2\n", "m.yaml").status().message()),
              ::testing::HasSubstr("2 documents"));
}

TEST(YamlJsonTest, JsonToYamlRoundTrips) {
  Json value = Json::parse(R"({"a": {"b": [1, "2", true, "true", null, 2.5]}, "c": "",
                               "d": "x: y", "e": "- item"})");
  std::string yaml = JsonToYaml(value);
  auto back = YamlToJson(yaml, "out.yaml");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << yaml;
  EXPECT_EQ(*back, value) << yaml;
}

}  // namespace
}  // namespace plinth::cli
