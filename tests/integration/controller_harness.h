#pragma once

// Shared fixture for the controller-manager integration tests: a real mk-apiserver and one or
// more real mk-controller-manager processes, no scheduler and no kubelet (the tests play the
// kubelet: they bind pods, write pod status and renew node leases themselves).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "common/api_client.h"
#include "common/object.h"
#include "gtest/gtest.h"
#include "tests/integration/process.h"

namespace mk::testing {

inline api::ReplicaSet MakeReplicaSet(const std::string& name, int replicas,
                                      const std::string& app) {
  api::ReplicaSet rs;
  rs.set_api_version("apps/v1");
  rs.set_kind("ReplicaSet");
  rs.mutable_metadata()->set_name(name);
  rs.mutable_spec()->set_replicas(replicas);
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = app;
  (*rs.mutable_spec()->mutable_template_()->mutable_metadata()->mutable_labels())["app"] = app;
  api::Container* c = rs.mutable_spec()->mutable_template_()->mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("nginx");
  return rs;
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<Apiserver>(dir_.path() + "/data");
    ASSERT_TRUE(api_->Start()) << "apiserver failed; log: " << api_->log_path();
    client_ = api_->NewClient();
    ASSERT_NE(client_, nullptr);
  }

  void TearDown() override {
    if (HasFailure()) {
      for (size_t i = 0; i < cms_.size(); ++i) {
        CommandResult log = mk::testing::Run({"/usr/bin/tail", "-n", "40", CmLog(i)});
        std::fprintf(stderr, "--- cm%zu.log (tail)\n%s\n", i, log.out.c_str());
      }
    }
    for (auto& p : cms_) {
      if (p->running()) p->Kill(SIGKILL);
    }
  }

  std::string CmLog(size_t i) const { return absl::StrCat(dir_.path(), "/cm", i, ".log"); }

  // Starts controller-manager number `i` (0-based; a restart of `i` reuses its log).
  void StartCm(size_t i = 0, std::vector<std::string> extra = {}) {
    while (cms_.size() <= i) cms_.push_back(std::make_unique<Process>());
    cm_flags_.resize(std::max(cm_flags_.size(), i + 1));
    if (!extra.empty()) cm_flags_[i] = extra;
    std::vector<std::string> argv = {BinPath("mk-controller-manager"), "--kubeconfig",
                                     api_->kubeconfig("controller-manager"), "--v", "2"};
    argv.insert(argv.end(), cm_flags_[i].begin(), cm_flags_[i].end());
    cms_[i] = std::make_unique<Process>();
    ASSERT_TRUE(cms_[i]->Start(argv, CmLog(i), "ready")) << "controller-manager failed";
  }
  void KillCm(size_t i, int sig = SIGKILL) { cms_[i]->Kill(sig); }

  std::string CreateRs(const api::ReplicaSet& rs, const std::string& ns = "default") {
    auto r = client_->CreateAs<api::ReplicaSet>("replicasets", ns, rs);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->metadata().uid() : "";
  }
  api::ReplicaSet GetRs(const std::string& name, const std::string& ns = "default") {
    auto r = client_->GetAs<api::ReplicaSet>("replicasets", ns, name);
    return r.ok() ? *r : api::ReplicaSet();
  }
  std::vector<api::Pod> Pods(const std::string& ns = "default") {
    auto r = client_->ListAs<api::Pod>("pods", ns);
    return r.ok() ? *r : std::vector<api::Pod>();
  }
  // Live (not terminating) pods whose controller is `uid`.
  std::vector<api::Pod> OwnedPods(const std::string& uid, const std::string& ns = "default") {
    std::vector<api::Pod> out;
    for (api::Pod& p : Pods(ns)) {
      if (!p.metadata().deletion_timestamp().empty()) continue;
      for (const auto& ref : p.metadata().owner_references()) {
        if (ref.uid() == uid && ref.controller()) {
          out.push_back(p);
          break;
        }
      }
    }
    return out;
  }
  int CountOwned(const std::string& uid) { return static_cast<int>(OwnedPods(uid).size()); }

  std::vector<std::string> Events(const std::string& name, const std::string& reason,
                                  const std::string& ns = "default") {
    std::vector<std::string> out;
    auto list = client_->ListAs<api::Event>("events", ns);
    if (!list.ok()) return out;
    for (const api::Event& e : *list) {
      if (e.involved_object().name() == name && e.reason() == reason) out.push_back(e.message());
    }
    return out;
  }

  static bool WaitFor(const std::function<bool()>& cond, double seconds = 15) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return cond();
  }
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& in = "") {
    return Mkctl(api_->kubeconfig(), args, in);
  }

  TempDir dir_;
  std::unique_ptr<Apiserver> api_;
  std::unique_ptr<ApiClient> client_;
  std::vector<std::unique_ptr<Process>> cms_;
  std::vector<std::vector<std::string>> cm_flags_;
};

}  // namespace mk::testing
