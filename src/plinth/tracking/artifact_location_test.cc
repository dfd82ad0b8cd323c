#include "plinth/tracking/artifact_location.h"

#include "gtest/gtest.h"

namespace plinth::tracking {
namespace {

TEST(ResolveArtifactLocationTest, LocalPathsBecomeAbsoluteFileUris) {
  EXPECT_EQ(ResolveArtifactLocation("mlruns/x", "/srv/app"), "file:///srv/app/mlruns/x");
  EXPECT_EQ(ResolveArtifactLocation("./a/../b", "/srv"), "file:///srv/b");
  EXPECT_EQ(ResolveArtifactLocation("/data/art", "/srv"), "file:///data/art");
  EXPECT_EQ(ResolveArtifactLocation("my dir/x#1", "/srv"), "file:///srv/my%20dir/x%231");
}

TEST(ResolveArtifactLocationTest, UrisAreKept) {
  for (const char* uri : {"s3://bucket/p", "file:///tmp/x", "file://host/x", "mlflow-artifacts:/7",
                          "gs://b", "hdfs://nn:8020/p", ""}) {
    EXPECT_EQ(ResolveArtifactLocation(uri, "/srv"), uri);
  }
}

}  // namespace
}  // namespace plinth::tracking
