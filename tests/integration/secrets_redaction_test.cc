// Secret values never reach a log, an error or describe, at the top verbosity: the real
// apiserver at --v=10 and mkctl at -v=10 log request/response bodies and headers (so the
// test sees that bodies are logged), with Secret data and credentials redacted. `get -o
// yaml/json` still shows data base64 exactly as kubectl does.

#include <httplib.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SecretsRedaction : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<Apiserver>(dir_.path() + "/data", std::vector<std::string>{"--v=10"});
    ASSERT_TRUE(api_->Start());
    absl::BitGen gen;
    canary_ = absl::StrCat("cnry", absl::Uniform<uint64_t>(gen));
    canary2_ = absl::StrCat("cnry2x", absl::Uniform<uint64_t>(gen));
  }

  CommandResult Mk(std::vector<std::string> args, const std::string& in = "") {
    return Mkctl(api_->kubeconfig(), args, in);
  }

  // Neither the canaries nor their base64 appear in `text`.
  void ExpectClean(const std::string& text, const std::string& what) {
    for (const std::string& c : {canary_, canary2_}) {
      EXPECT_FALSE(absl::StrContains(text, c)) << what << " holds a canary:\n" << text;
      EXPECT_FALSE(absl::StrContains(text, absl::Base64Escape(c)))
          << what << " holds a canary's base64:\n"
          << text;
      // base64 of a longer value need not contain base64(c): its first 6 characters do.
      EXPECT_FALSE(absl::StrContains(text, absl::Base64Escape(c).substr(0, 6)))
          << what << " holds the start of a canary's base64:\n"
          << text;
    }
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> api_;
  std::string canary_, canary2_;
};

TEST_F(SecretsRedaction, TopVerbosityLogsBodiesButNoSecretValues) {
  std::string manifest =
      absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: ",
                   absl::Base64Escape(canary_), "\nstringData:\n  note: ", canary2_, "\n");
  CommandResult r = Mk({"-v=10", "apply", "-f", "-"}, manifest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "Request Body:")) << r.err;
  EXPECT_TRUE(absl::StrContains(r.err, "<redacted>")) << r.err;
  ExpectClean(r.err, "mkctl -v=10 apply");
  ExpectClean(r.out, "mkctl apply output");

  // A merge patch has no kind: the secrets path tells the redactor.
  r = Mk({"--v=10", "patch", "secret", "db", "-p",
          absl::StrCat(R"({"stringData":{"extra":")", canary_, R"("}})")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectClean(r.err, "mkctl -v=10 patch");

  // -o yaml/json show the base64 data exactly as kubectl does; the log stays clean.
  r = Mk({"-v=10", "get", "secret", "db", "-o", "yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(
      r.out, absl::StrCat("data:\n  extra: ", absl::Base64Escape(canary_),
                          "\n  note: ", absl::Base64Escape(canary2_),
                          "\n  password: ", absl::Base64Escape(canary_), "\nkind: Secret\n")))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.err, "Response Body:")) << r.err;
  ExpectClean(r.err, "mkctl -v=10 get -o yaml (stderr)");
  r = Mk({"-v=9", "get", "secret", "db", "-o", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      absl::StrContains(r.out, absl::StrCat("\"password\": \"", absl::Base64Escape(canary_), "\"")))
      << r.out;
  ExpectClean(r.err, "mkctl -v=9 get -o json (stderr)");
  r = Mk({"-v=8", "get", "secrets", "-o", "json"});  // a SecretList
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectClean(r.err, "mkctl -v=8 get secrets -o json (stderr)");
  r = Mk({"-v=10", "get", "secrets"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectClean(r.err + r.out, "mkctl get secrets (table)");

  r = Mk({"describe", "secret", "db"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(absl::StrContains(r.out, "Data\n====\nextra:")) << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, absl::StrCat(" ", canary2_.size(), " bytes\n"))) << r.out;
  ExpectClean(r.out, "describe secret");

  // A watch: the apiserver logs each event sent, redacted.
  auto http = NewRestClient(api_->kubeconfig());
  auto w = http->Get("/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1");
  ASSERT_TRUE(w);
  EXPECT_TRUE(absl::StrContains(w->body, absl::Base64Escape(canary_)));  // clients get data

  // Bearer tokens: mkctl and the apiserver log the header with the token redacted.
  std::string token = absl::StrCat("tok", canary_);
  r = Mk({"-v=10", "--token=" + token, "get", "pods"});
  EXPECT_TRUE(absl::StrContains(r.err, "Authorization: Bearer <redacted>")) << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, token));

  api_->Kill(SIGTERM);
  std::string log = ReadAll(api_->log_path());
  EXPECT_TRUE(absl::StrContains(log, "Request Body:")) << "apiserver at --v=10 logs no bodies";
  EXPECT_TRUE(absl::StrContains(log, "Response Body:"));
  EXPECT_TRUE(absl::StrContains(log, "Watch Event"));
  EXPECT_TRUE(absl::StrContains(log, "\"password\":\"<redacted>\""));
  EXPECT_TRUE(absl::StrContains(log, "Authorization: Bearer <redacted>"));
  EXPECT_FALSE(absl::StrContains(log, token));
  ExpectClean(log, "apiserver log");
}

TEST_F(SecretsRedaction, DecodingErrorsNameTheFieldNotTheValue) {
  std::string manifest =
      absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\ndata:\n  password: \"!",
                   canary_, "!\"\n");
  CommandResult r = Mk({"-v=10", "apply", "-f", "-"}, manifest);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(
      r.err, "data[password]: illegal base64 data: expected a base64-encoded value"))
      << r.err;
  ExpectClean(r.err, "decode error");
  std::string docker = absl::StrCat(
      "apiVersion: v1\nkind: Secret\nmetadata:\n  name: reg\ntype: "
      "kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": ",
      canary_, "'\n");
  r = Mk({"-v=10", "apply", "-f", "-"}, docker);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "data[.dockerconfigjson]")) << r.err;
  ExpectClean(r.err, "validation error");
  api_->Kill(SIGTERM);
  ExpectClean(ReadAll(api_->log_path()), "apiserver log");
}

}  // namespace
}  // namespace mk::testing
