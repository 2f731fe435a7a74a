// The authorization matrix through a real mk-apiserver: every REST and gRPC endpoint
// (authz_matrix_calls.h, enumerated from the resource table) × every identity (anonymous, a
// certificate of another CA, an expired certificate, a bad and an unprivileged bearer token,
// node-a, the scheduler, the controller-manager, the admin) against the expected policy of
// authz_matrix_policy.h. Any unexpected allow or deny fails the test and prints the matrix
// (MK_AUTHZ_MATRIX_PRINT=1 prints it anyway).

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/kubeconfig_file.h"
#include "common/pki.h"
#include "gtest/gtest.h"
#include "tests/integration/authz_matrix_calls.h"
#include "tests/integration/authz_matrix_client.h"
#include "tests/integration/authz_matrix_policy.h"
#include "tests/integration/process.h"

namespace mk::testing::authz_matrix {
namespace {

constexpr char kToken[] = "matrix-user-token";  // matrix-user: authenticated, in no group
constexpr char kBootstrapToken[] = "matrix.0123456789abcdef";  // Secret bootstrap-token-matrix

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

char Letter(Outcome o) {
  switch (o) {
    case Outcome::kAllowed:
      return 'A';
    case Outcome::kForbidden:
      return 'F';
    case Outcome::kUnauthorized:
      return 'U';
    case Outcome::kTlsRefused:
      return 'T';
  }
  return '?';
}

struct Report {
  int checks = 0;
  int calls = 0;
  int unexpected_allows = 0;
  int unexpected_denies = 0;
  int wrong_denials = 0;  // denied, but 401 where 403 was due (or the other way round)
  int expected_forbidden = 0;
  std::vector<std::string> rows;      // the matrix, one line per call
  std::vector<std::string> failures;  // one line per unexpected cell

  bool ok() const { return unexpected_allows + unexpected_denies + wrong_denials == 0; }
  std::string Summary() const {
    return absl::StrCat("authz matrix: ", checks, " checks (", calls, " endpoints x ",
                        Identities().size(), " identities), unexpected allows ", unexpected_allows,
                        ", unexpected denies ", unexpected_denies, ", wrong denials ",
                        wrong_denials);
  }
  std::string Matrix() const {
    std::string head;
    for (const Identity& id : Identities())
      absl::StrAppend(&head, absl::StrFormat("%-12s", id.column));
    return absl::StrCat(
        "cells: got (A allowed, F 403, U 401, T TLS refused) and status; \"!X\": expected X; "
        "\"!ok\": must not succeed\n",
        head, "endpoint\n", absl::StrJoin(rows, "\n"), "\n");
  }
};

// One mk-apiserver with the matrix' fixtures and a client per identity.
class Matrix {
 public:
  explicit Matrix(std::vector<std::string> flags) {
    std::string tokens = dir_.path() + "/tokens.csv";
    WriteFile(tokens, absl::StrCat(kToken, ",matrix-user,3001\n"));
    flags.push_back("--token-auth-file=" + tokens);
    server_ = std::make_unique<Apiserver>(dir_.path() + "/data", flags);
  }

  // Starts the apiserver, seeds the fixtures as the admin, builds the identities' clients.
  void SetUp() {
    ASSERT_TRUE(server_->Start()) << "see " << server_->log_path();
    admin_ = NewRestClient(server_->kubeconfig());
    ASSERT_NE(admin_, nullptr);
    admin_->set_keep_alive(true);
    ASSERT_NO_FATAL_FAILURE(Seed());
    ASSERT_NO_FATAL_FAILURE(MakeClients());
  }

  // Runs every call as every identity: first all but the deletes, then the deletes (the
  // admin's last), so that no check sees an object another check removed.
  Report Run() {
    std::vector<Call> calls = MatrixCalls();
    Report rep;
    rep.calls = static_cast<int>(calls.size());
    for (bool deletes : {false, true}) {
      for (const Call& c : calls) {
        bool is_delete = c.verb == "delete" || c.verb == "deletecollection";
        if (is_delete == deletes) Check(c, &rep);
      }
    }
    return rep;
  }

 private:
  void Seed() {
    Post("/api/v1/namespaces", {{"metadata", {{"name", kNs}}}});
    for (const ResourceInfo& r : AllResources()) {
      for (const Target& t : Targets(r)) {
        Post(RestPath(ObjectCall("create", r, t)), FixtureBody(r, t.ns, t.name));
      }
    }
    Post("/api/v1/namespaces/kube-system/secrets",
         {{"metadata", {{"name", "bootstrap-token-matrix"}}},
          {"type", "bootstrap.kubernetes.io/token"},
          {"stringData",
           {{"token-id", "matrix"},
            {"token-secret", "0123456789abcdef"},
            {"usage-bootstrap-authentication", "true"}}}});
    for (const auto& [pod, node] : {std::pair{"pod-a", kNodeA}, std::pair{"pod-b", kNodeB}}) {
      Post(absl::StrCat("/api/v1/namespaces/", kNs, "/pods/", pod, "/binding"),
           {{"metadata", {{"name", pod}}}, {"target", {{"kind", "Node"}, {"name", node}}}});
    }
    // The bodies the updates send: the stored objects, unconditionally.
    for (const ResourceInfo& r : AllResources()) {
      for (const Target& t : Targets(r)) {
        std::string path = RestPath(ObjectCall("get", r, t));
        auto res = admin_->Get(path);
        ASSERT_TRUE(res && res->status == 200) << path;
        Json obj = Json::parse(res->body);
        obj["metadata"].erase("resourceVersion");
        stored_[ObjectKey(r.name, t.ns, t.name)] = obj;
      }
    }
  }

  void Post(const std::string& path, const Json& body) {
    auto res = admin_->Post(path, body.dump(), "application/json");
    ASSERT_TRUE(res) << path;
    // 409: the ServiceAccount "default" comes with the namespace.
    ASSERT_TRUE(res->status == 201 || res->status == 409)
        << "seeding " << path << " " << body.dump() << ": " << res->status << " " << res->body
        << "\n(a new resource in common/resources.h needs a valid object in FixtureBody())";
  }

  void MakeClients() {
    const std::string ca = Slurp(server_->data_dir() + "/pki/ca.crt");
    const pki::CertAndKey cluster_ca{ca, Slurp(server_->data_dir() + "/pki/ca.key")};
    auto other_ca = pki::CreateCa("mk-ca");
    ASSERT_TRUE(other_ca.ok());
    auto foreign = pki::IssueClientCert(*other_ca, "kubernetes-admin", {"system:masters"});
    ASSERT_TRUE(foreign.ok());
    pki::CertOptions old;
    old.not_before = absl::Now() - absl::Hours(3);
    old.validity = absl::Hours(1);
    auto expired = pki::IssueClientCert(cluster_ca, "kubernetes-admin", {"system:masters"}, old);
    ASSERT_TRUE(expired.ok());
    std::string node_kc = dir_.path() + "/node-a.kubeconfig";
    ASSERT_TRUE(server_->IssueKubeconfig("system:node:node-a", {"system:nodes"}, node_kc));

    for (const Identity& id : Identities()) {
      KubeconfigCredentials creds;
      creds.server = server_->url();
      creds.ca_pem = ca;
      std::string kc;  // the daemons' and node-a's: as issued
      switch (id.who) {
        case Who::kBadCert:
          creds.cert_pem = foreign->cert_pem;
          creds.key_pem = foreign->key_pem;
          break;
        case Who::kExpiredCert:
          creds.cert_pem = expired->cert_pem;
          creds.key_pem = expired->key_pem;
          break;
        case Who::kBadToken:
          creds.token = "not-a-known-token";
          break;
        case Who::kTokenUser:
          creds.token = kToken;
          break;
        case Who::kBootstrapToken:
          creds.token = kBootstrapToken;
          break;
        case Who::kNodeA:
          kc = node_kc;
          break;
        case Who::kScheduler:
          kc = server_->kubeconfig("scheduler");
          break;
        case Who::kControllerManager:
          kc = server_->kubeconfig("controller-manager");
          break;
        case Who::kAdmin:
          kc = server_->kubeconfig("admin");
          break;
        case Who::kAnonymous:
          break;
      }
      if (kc.empty()) {
        kc = absl::StrCat(dir_.path(), "/", id.column, ".kubeconfig");
        WriteFile(kc, RenderKubeconfig({"mk", id.column, ""}, creds));
      }
      clients_.push_back(std::make_unique<MatrixClient>(kc, server_->grpc_address(), creds.token));
    }
  }

  void Check(const Call& c, Report* rep) {
    std::string row;
    const std::vector<Identity>& ids = Identities();
    for (size_t i = 0; i < ids.size(); ++i) {
      Outcome want = Expected(ids[i].who, c);
      Got got = clients_[i]->Do(c, stored_);
      ++rep->checks;
      if (want == Outcome::kForbidden) ++rep->expected_forbidden;
      std::string cell = absl::StrCat(std::string(1, Letter(got.outcome)), got.code);
      std::string problem;
      if (got.outcome == Outcome::kAllowed && want != Outcome::kAllowed) {
        ++rep->unexpected_allows;
        problem = "unexpected allow";
      } else if (got.outcome == Outcome::kAllowed && got.succeeded && c.never_succeeds) {
        ++rep->unexpected_allows;
        problem = "unexpected allow (succeeded on no such endpoint)";
        absl::StrAppend(&cell, "!ok");
      } else if (got.outcome != Outcome::kAllowed && want == Outcome::kAllowed) {
        ++rep->unexpected_denies;
        problem = "unexpected deny";
      } else if (got.outcome != want) {
        ++rep->wrong_denials;
        problem = "wrong denial";
      }
      if (got.outcome != want) absl::StrAppend(&cell, "!", std::string(1, Letter(want)));
      if (!problem.empty()) {
        rep->failures.push_back(absl::StrCat(problem, ": ", ids[i].column, " ", Describe(c),
                                             " got ", got.code, ", expected ",
                                             std::string(1, Letter(want))));
      }
      absl::StrAppend(&row, absl::StrFormat("%-12s", cell));
    }
    rep->rows.push_back(absl::StrCat(row, Describe(c)));
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> server_;
  std::unique_ptr<httplib::SSLClient> admin_;
  Objects stored_;
  std::vector<std::unique_ptr<MatrixClient>> clients_;  // in Identities() order
};

TEST(AuthzMatrix, EveryEndpointAndIdentityAsExpected) {
  absl::Time start = absl::Now();
  Matrix m({});
  ASSERT_NO_FATAL_FAILURE(m.SetUp());
  Report rep = m.Run();
  if (std::getenv("MK_AUTHZ_MATRIX_PRINT") != nullptr) std::printf("%s", rep.Matrix().c_str());
  std::printf("%s (%.1f s)\n", rep.Summary().c_str(), absl::ToDoubleSeconds(absl::Now() - start));
  EXPECT_GT(rep.calls, 300);
  EXPECT_GT(rep.expected_forbidden, 500);  // not a matrix of allows
  EXPECT_TRUE(rep.ok()) << rep.Matrix() << "\n"
                        << absl::StrJoin(rep.failures, "\n") << "\n"
                        << rep.Summary();
}

// The same matrix against an apiserver that authorizes nothing away: every cell the policy
// forbids must show up as an unexpected allow, so the matrix above is not vacuous.
TEST(AuthzMatrix, AlwaysAllowIsCaught) {
  Matrix m({"--authorization-mode=AlwaysAllow"});
  ASSERT_NO_FATAL_FAILURE(m.SetUp());
  Report rep = m.Run();
  std::printf("with --authorization-mode=AlwaysAllow: %s\n", rep.Summary().c_str());
  EXPECT_GT(rep.unexpected_allows, 0);
  EXPECT_EQ(rep.unexpected_allows, rep.expected_forbidden) << absl::StrJoin(rep.failures, "\n");
  EXPECT_EQ(rep.unexpected_denies, 0) << absl::StrJoin(rep.failures, "\n");
  EXPECT_EQ(rep.wrong_denials, 0) << absl::StrJoin(rep.failures, "\n");
}

}  // namespace
}  // namespace mk::testing::authz_matrix
