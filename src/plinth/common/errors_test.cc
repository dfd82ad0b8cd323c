#include "plinth/common/errors.h"

#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace plinth {
namespace {

TEST(HttpStatusForTest, MapsCanonicalCodes) {
  std::vector<std::pair<absl::Status, int>> cases = {
      {absl::OkStatus(), 200},
      {absl::InvalidArgumentError("x"), 400},
      {absl::FailedPreconditionError("x"), 400},
      {absl::OutOfRangeError("x"), 400},
      {absl::AlreadyExistsError("x"), 400},
      {absl::UnauthenticatedError("x"), 401},
      {absl::PermissionDeniedError("x"), 403},
      {absl::NotFoundError("x"), 404},
      {absl::AbortedError("x"), 409},
      {absl::ResourceExhaustedError("x"), 429},
      {absl::UnimplementedError("x"), 501},
      {absl::UnavailableError("x"), 503},
      {absl::InternalError("x"), 500},
      {absl::UnknownError("x"), 500},
      {absl::DataLossError("x"), 500},
  };
  for (const auto& [status, http] : cases) EXPECT_EQ(HttpStatusFor(status), http) << status;
}

TEST(HttpStatusForTest, OverrideWins) {
  absl::Status s = WithHttpStatus(absl::NotFoundError("no such method"), 405);
  EXPECT_EQ(HttpStatusFor(s), 405);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "no such method");
  // The override survives attaching a name, and vice versa.
  absl::Status both = WithErrorName(WithHttpStatus(absl::ResourceExhaustedError("big"), 413),
                                    "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(HttpStatusFor(both), 413);
  EXPECT_EQ(ErrorNameOf(both), "REQUEST_LIMIT_EXCEEDED");
}

TEST(ErrorNameTest, AbsentUnlessAttached) {
  EXPECT_EQ(ErrorNameOf(absl::InvalidArgumentError("x")), std::nullopt);
  EXPECT_EQ(ErrorNameOf(WithErrorName(absl::InvalidArgumentError("x"), "BAD_REQUEST")),
            "BAD_REQUEST");
}

TEST(MlflowErrorCodeTest, DerivedFromCanonicalCode) {
  std::vector<std::pair<absl::Status, std::string>> cases = {
      {absl::InvalidArgumentError("x"), "INVALID_PARAMETER_VALUE"},
      {absl::OutOfRangeError("x"), "INVALID_PARAMETER_VALUE"},
      {absl::FailedPreconditionError("x"), "INVALID_STATE"},
      {absl::AlreadyExistsError("x"), "RESOURCE_ALREADY_EXISTS"},
      {absl::UnauthenticatedError("x"), "UNAUTHENTICATED"},
      {absl::PermissionDeniedError("x"), "PERMISSION_DENIED"},
      {absl::NotFoundError("x"), "RESOURCE_DOES_NOT_EXIST"},
      {absl::AbortedError("x"), "RESOURCE_CONFLICT"},
      {absl::ResourceExhaustedError("x"), "REQUEST_LIMIT_EXCEEDED"},
      {absl::UnimplementedError("x"), "NOT_IMPLEMENTED"},
      {absl::UnavailableError("x"), "TEMPORARILY_UNAVAILABLE"},
      {absl::InternalError("x"), "INTERNAL_ERROR"},
  };
  for (const auto& [status, name] : cases) EXPECT_EQ(MlflowErrorCode(status), name) << status;
}

TEST(MlflowErrorCodeTest, AttachedNameWins) {
  EXPECT_EQ(MlflowErrorCode(WithErrorName(absl::NotFoundError("x"), "ENDPOINT_NOT_FOUND")),
            "ENDPOINT_NOT_FOUND");
}

TEST(ShorthandsTest, CarryMlflowNamesAndStatuses) {
  EXPECT_EQ(MlflowErrorCode(BadRequest("m")), "BAD_REQUEST");
  EXPECT_EQ(HttpStatusFor(BadRequest("m")), 400);
  EXPECT_EQ(BadRequest("m").message(), "m");
  EXPECT_EQ(MlflowErrorCode(InvalidParameter("m")), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(HttpStatusFor(InvalidParameter("m")), 400);
  EXPECT_EQ(MlflowErrorCode(AlreadyExists("m")), "RESOURCE_ALREADY_EXISTS");
  EXPECT_EQ(HttpStatusFor(AlreadyExists("m")), 400);
  EXPECT_EQ(MlflowErrorCode(NotFound("m")), "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(HttpStatusFor(NotFound("m")), 404);
  EXPECT_EQ(MlflowErrorCode(InvalidState("m")), "INVALID_STATE");
  EXPECT_EQ(HttpStatusFor(InvalidState("m")), 400);
}

}  // namespace
}  // namespace plinth
