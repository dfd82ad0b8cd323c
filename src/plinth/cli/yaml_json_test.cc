#include "plinth/cli/yaml_json.h"

#include "absl/strings/str_cat.h"
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

TEST(YamlJsonTest, BillionLaughsIsRefusedBeforeItExpands) {
  std::string doc = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    doc += absl::StrCat("a", i, ": &a", i, " [");
    for (int k = 0; k < 10; ++k) absl::StrAppend(&doc, k ? ", " : "", "*a", i - 1);
    doc += "]\n";
  }
  auto json = YamlToJson(doc, "laughs.yaml");  // 10^10 values if expanded
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()),
              ::testing::HasSubstr("expands to more than 1000000 values"));
}

TEST(YamlJsonTest, DeepNestingIsRefused) {
  std::string deep = "a: " + std::string(100, '[') + std::string(100, ']') + "\n";
  auto json = YamlToJson(deep, "deep.yaml");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()), ::testing::HasSubstr("deeper than 64"));
  // Far deeper than the parser's own guard: an error, not a stack overflow.
  std::string deeper = "a: " + std::string(50000, '[') + std::string(50000, ']') + "\n";
  EXPECT_FALSE(YamlToJson(deeper, "deeper.yaml").ok());
}

TEST(YamlJsonTest, DuplicateKeysAreRefusedWithTheirLine) {
  auto json = YamlToJson("name: a\ncommand: [x]\nname: b\n", "job.yaml");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()),
              ::testing::HasSubstr("job.yaml:3: duplicate key 'name'"));
  EXPECT_FALSE(YamlToJson("env: {A: 1, A: 2}\n", "job.yaml").ok());
}

TEST(YamlJsonTest, ControlCharactersAreRefusedBeforeParsing) {
  // Found by tests/fuzz/yaml_spec_fuzz: yaml-cpp never returned on this.
  std::string input(",\0\0\0\0\0\0\0*b\x1d\x17]\nc*\xff\x81\xd1", 20);
  auto json = YamlToJson(input, "job.yaml");
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(std::string(json.status().message()),
              ::testing::HasSubstr("job.yaml:1: control character 00"));
}

TEST(YamlJsonTest, StringsThatAreNotYamlAreQuotedNotThrown) {
  // Found by tests/fuzz/yaml_spec_fuzz: the quoting probe threw.
  Json value = {{"base", "'{cpu: 1}\nnam {cpu: 1}\nname: x"}};
  std::string yaml = JsonToYaml(value);
  auto back = YamlToJson(yaml, "render.yaml");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, value);
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
