#include "plinth/http/handlers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plinth/common/errors.h"
#include "plinth/common/json.h"

namespace plinth::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ErrorRenderingTest, ServerFaultsNeverShowTheirInternals) {
  absl::Status fault = absl::InternalError(
      "SQLite error: no such column in: SELECT * FROM runs WHERE /srv/plinth/artifacts/1");
  for (const Response& r : {MlflowError(fault), NativeError(fault)}) {
    EXPECT_EQ(r.status, 500);
    EXPECT_THAT(r.body, Not(HasSubstr("SELECT")));
    EXPECT_THAT(r.body, Not(HasSubstr("/srv/plinth")));
    EXPECT_THAT(r.body, HasSubstr("reference"));
  }
}

TEST(ErrorRenderingTest, ClientErrorsKeepTheirMessage) {
  Response r = MlflowError(InvalidParameter("max_results must be between 1 and 2500"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json::parse(r.body)["message"], "max_results must be between 1 and 2500");
  Response busy = NativeError(absl::UnavailableError("slurmctld is down"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_THAT(busy.body, HasSubstr("slurmctld is down"));
}

}  // namespace
}  // namespace plinth::http
