// The gRPC ApiClient end to end against the real GrpcServer, Registry and in-memory Store,
// in process on 127.0.0.1:0: CRUD, conflicts, subresources, watches, 410, and the daemon kit
// (informer, leader election, event recorder) over the wire.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "api.pb.h"
#include "apiserver.grpc.pb.h"
#include "apiserver/authn.h"
#include "apiserver/grpc_server.h"
#include "apiserver/memory_store.h"
#include "apiserver/metrics.h"
#include "apiserver/registry.h"
#include "common/api_client.h"
#include "common/event_recorder.h"
#include "common/informer.h"
#include "common/leader_election.h"
#include "common/object.h"
#include "common/pki.h"
#include "gtest/gtest.h"

namespace mk {
namespace {

api::Pod MakePod(const std::string& name) {
  api::Pod p;
  p.mutable_metadata()->set_name(name);
  (*p.mutable_metadata()->mutable_labels())["app"] = "web";
  auto* c = p.mutable_spec()->add_containers();
  c->set_name("c");
  c->set_image("busybox:1");
  return p;
}

class GrpcClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apiserver::MemoryStore::Options so;
    so.max_history_events = 20;  // small, so old watches get 410
    store_ = std::make_unique<apiserver::MemoryStore>(so);
    registry_ = std::make_unique<apiserver::Registry>(store_.get());
    ASSERT_TRUE(registry_->Bootstrap().ok());
    // The server as mk-apiserver runs it: TLS, client certificates checked against the CA.
    auto ca = pki::CreateCa("test-ca");
    ASSERT_TRUE(ca.ok());
    auto serving = pki::IssueServingCert(*ca, "kube-apiserver", {"localhost"}, {"127.0.0.1"});
    auto admin = pki::IssueClientCert(*ca, "kubernetes-admin", {"system:masters"});
    ASSERT_TRUE(serving.ok() && admin.ok());
    auto authn = apiserver::Authenticator::Create(ca->cert_pem, "");
    ASSERT_TRUE(authn.ok());
    authn_ = *std::move(authn);
    apiserver::AuthGate gate;
    gate.authenticator = authn_.get();
    server_ = std::make_unique<apiserver::GrpcServer>(registry_.get(), &metrics_, gate);
    ASSERT_TRUE(
        server_->Start("127.0.0.1:0", {serving->cert_pem, serving->key_pem, ca->cert_pem}).ok());
    GrpcApiClientOptions o;
    o.ca_pem = ca->cert_pem;
    o.cert_pem = admin->cert_pem;
    o.key_pem = admin->key_pem;
    ssl_.pem_root_certs = ca->cert_pem;
    ssl_.pem_cert_chain = admin->cert_pem;
    ssl_.pem_private_key = admin->key_pem;
    client_ = NewGrpcApiClient(absl::StrCat("127.0.0.1:", server_->port()), o);
  }
  void TearDown() override {
    client_.reset();
    server_->Shutdown();
  }

  std::unique_ptr<apiserver::MemoryStore> store_;
  std::unique_ptr<apiserver::Registry> registry_;
  apiserver::Metrics metrics_;
  std::unique_ptr<apiserver::Authenticator> authn_;
  std::unique_ptr<apiserver::GrpcServer> server_;
  std::unique_ptr<ApiClient> client_;
  grpc::SslCredentialsOptions ssl_;  // the admin's, for raw stubs
};

TEST_F(GrpcClientTest, CreateGetListAndErrors) {
  auto created = client_->CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_FALSE(created->metadata().uid().empty());
  EXPECT_FALSE(created->metadata().resource_version().empty());
  EXPECT_EQ(created->spec().restart_policy(), "Always");  // defaulted by the server

  auto again = client_->Create("pods", "default", MakePod("a"));
  EXPECT_TRUE(absl::IsAlreadyExists(again.status())) << again.status();
  EXPECT_NE(again.status().message().find("already exists"), absl::string_view::npos);

  auto got = client_->GetAs<api::Pod>("pods", "default", "a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->metadata().uid(), created->metadata().uid());
  EXPECT_TRUE(absl::IsNotFound(client_->Get("pods", "default", "nope").status()));

  api::Pod bad = MakePod("bad");
  bad.mutable_spec()->clear_containers();
  EXPECT_TRUE(absl::IsInvalidArgument(client_->Create("pods", "default", bad).status()));

  ASSERT_TRUE(client_->Create("pods", "default", MakePod("b")).ok());
  ASSERT_TRUE(client_->Bind("default", "b", "n1").ok());
  int64_t rv = 0;
  auto all = client_->ListAs<api::Pod>("pods", "default", {}, &rv);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_GT(rv, 0);
  auto on_n1 = client_->ListAs<api::Pod>("pods", "", {"app=web", "spec.nodeName=n1"});
  ASSERT_TRUE(on_n1.ok()) << on_n1.status();
  ASSERT_EQ(on_n1->size(), 1u);
  EXPECT_EQ((*on_n1)[0].metadata().name(), "b");
  auto ns = client_->ListAs<api::Namespace>("namespaces", "");
  ASSERT_TRUE(ns.ok());
  EXPECT_GE(ns->size(), 3u);
}

TEST_F(GrpcClientTest, UpdateConflictStatusPatchBindDelete) {
  auto v1 = client_->CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(v1.ok()) << v1.status();
  api::Pod edit = *v1;
  (*edit.mutable_metadata()->mutable_labels())["tier"] = "front";
  auto v2 = client_->UpdateAs("pods", "default", edit);
  ASSERT_TRUE(v2.ok()) << v2.status();
  auto stale = client_->Update("pods", "default", edit);  // v1's resourceVersion again
  EXPECT_TRUE(absl::IsAborted(stale.status())) << stale.status();

  api::Pod st = *v2;
  st.mutable_status()->set_phase("Running");
  auto v3 = client_->UpdateAs("pods", "default", st, "status");
  ASSERT_TRUE(v3.ok()) << v3.status();
  EXPECT_EQ(v3->status().phase(), "Running");

  auto patched = client_->Patch("pods", "default", "a", "application/merge-patch+json",
                                R"({"metadata":{"annotations":{"x":"y"}}})");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ(Meta(**patched).annotations().at("x"), "y");

  ASSERT_TRUE(client_->Bind("default", "a", "n1").ok());
  EXPECT_TRUE(absl::IsAborted(client_->Bind("default", "a", "n2").status()));

  DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->Delete("pods", "default", "a", now).ok());
  EXPECT_TRUE(absl::IsNotFound(client_->Get("pods", "default", "a").status()));
  EXPECT_TRUE(absl::IsNotFound(client_->Delete("pods", "default", "a").status()));
}

TEST_F(GrpcClientTest, ScaleSubresource) {
  api::ReplicaSet rs;
  rs.mutable_metadata()->set_name("web");
  rs.mutable_spec()->set_replicas(1);
  (*rs.mutable_spec()->mutable_selector()->mutable_match_labels())["app"] = "web";
  *rs.mutable_spec()->mutable_template_()->mutable_metadata() = MakePod("x").metadata();
  rs.mutable_spec()->mutable_template_()->mutable_metadata()->clear_name();
  *rs.mutable_spec()->mutable_template_()->mutable_spec() = MakePod("x").spec();
  ASSERT_TRUE(client_->Create("replicasets", "default", rs).ok());
  auto scale = client_->GetAs<api::Scale>("replicasets", "default", "web", "scale");
  ASSERT_TRUE(scale.ok()) << scale.status();
  EXPECT_EQ(scale->spec().replicas(), 1);
  scale->mutable_spec()->set_replicas(3);
  ASSERT_TRUE(client_->Update("replicasets", "default", *scale, "scale").ok());
  EXPECT_EQ(client_->GetAs<api::ReplicaSet>("replicasets", "default", "web")->spec().replicas(), 3);
}

// A method serves only its subresources: the request is authorized as what it names (a
// Create of pods/binding is the scheduler's right), so it must not do something else (create
// the pod).
TEST_F(GrpcClientTest, SubresourcesAMethodDoesNotServeAreRefused) {
  auto stub = api::ApiServer::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl_)));
  auto create = [&](const std::string& name, const std::string& sub) {
    grpc::ClientContext ctx;
    api::WriteRequest req;
    req.set_resource("pods");
    req.set_namespace_("default");
    req.set_subresource(sub);
    req.set_data(MakePod(name).SerializeAsString());
    api::Object out;
    return stub->Create(&ctx, req, &out).error_code();
  };
  EXPECT_EQ(create("via-binding", "binding"), grpc::UNIMPLEMENTED);  // 405: use Bind
  EXPECT_EQ(create("via-status", "status"), grpc::UNIMPLEMENTED);
  EXPECT_EQ(create("via-nothing", "nothing"), grpc::NOT_FOUND);
  for (const char* name : {"via-binding", "via-status", "via-nothing"}) {
    EXPECT_TRUE(absl::IsNotFound(client_->Get("pods", "default", name).status())) << name;
  }
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("a")).ok());
  EXPECT_TRUE(
      absl::IsUnimplemented(client_->Get("pods", "default", "a", "log").status()));  // REST only
  EXPECT_TRUE(client_->Get("pods", "default", "a", "status").ok());
  auto scale = client_->Get("pods", "default", "a", "scale");  // pods have no scale
  EXPECT_TRUE(absl::IsNotFound(scale.status())) << scale.status();
  auto pod = client_->GetAs<api::Pod>("pods", "default", "a");
  ASSERT_TRUE(pod.ok());
  EXPECT_TRUE(absl::IsUnimplemented(client_->Update("pods", "default", *pod, "binding").status()));
  EXPECT_TRUE(client_->Update("pods", "default", *pod, "status").ok());
  EXPECT_TRUE(absl::IsNotFound(
      client_->Patch("pods", "default", "a", "application/merge-patch+json", "{}", "eviction")
          .status()));
}

TEST_F(GrpcClientTest, WatchFromListVersionAndCancel) {
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("a")).ok());
  auto list = client_->List("pods", "default");
  ASSERT_TRUE(list.ok());
  WatchOptions opts;
  opts.resource_version = list->resource_version;
  auto w = client_->Watch("pods", "default", opts);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("b")).ok());
  DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->Delete("pods", "default", "a", now).ok());
  WatchEvent ev;
  ASSERT_TRUE((*w)->Next(&ev)) << (*w)->status();
  EXPECT_EQ(ev.type, "ADDED");
  EXPECT_EQ(Meta(*ev.object).name(), "b");
  EXPECT_GT(ev.resource_version, list->resource_version);
  ASSERT_TRUE((*w)->Next(&ev));
  EXPECT_EQ(ev.type, "DELETED");
  EXPECT_EQ(Meta(*ev.object).name(), "a");

  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(100));
    (*w)->Cancel();
  });
  EXPECT_FALSE((*w)->Next(&ev));
  canceller.join();
  EXPECT_TRUE((*w)->status().ok()) << (*w)->status();
}

// A watch from version 0 starts with a burst of ADDED events, sent with buffer_hint: the
// stream's headers must not wait on that burst's flush (they did, and the first Write blocked
// for good).
TEST_F(GrpcClientTest, WatchFromZeroDeliversTheInitialBurst) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(client_->Create("pods", "default", MakePod(absl::StrCat("p", i))).ok());
  }
  auto stub = api::ApiServer::NewStub(
      grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), grpc::SslCredentials(ssl_)));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  api::WatchRequest req;
  req.set_resource("pods");
  req.set_namespace_("default");
  auto reader = stub->Watch(&ctx, req);
  int added = 0;
  api::WatchEvent ev;
  while (added < 30 && reader->Read(&ev)) {
    EXPECT_EQ(ev.type(), "ADDED");
    ++added;
  }
  EXPECT_EQ(added, 30);
  ctx.TryCancel();
  reader->Finish();
}

TEST_F(GrpcClientTest, TooOldResourceVersionIsGone) {
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("a")).ok());
  int64_t old = client_->List("pods", "default")->resource_version;
  for (int i = 0; i < 30; ++i) {
    api::Pod p = *client_->GetAs<api::Pod>("pods", "default", "a");
    (*p.mutable_metadata()->mutable_labels())["i"] = absl::StrCat(i);
    ASSERT_TRUE(client_->Update("pods", "default", p).ok());
  }
  WatchOptions opts;
  opts.resource_version = old;
  auto w = client_->Watch("pods", "default", opts);
  ASSERT_TRUE(w.ok());
  WatchEvent ev;
  EXPECT_FALSE((*w)->Next(&ev));
  EXPECT_TRUE(absl::IsOutOfRange((*w)->status())) << (*w)->status();
}

TEST_F(GrpcClientTest, UnreachableServerIsUnavailable) {
  GrpcApiClientOptions o;
  o.timeout = absl::Seconds(2);
  auto dead = NewGrpcApiClient("127.0.0.1:1", o);
  absl::Status s = dead->Get("pods", "default", "a").status();
  EXPECT_TRUE(absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(client_->Get("nosuchresource", "", "x").status()));
}

TEST_F(GrpcClientTest, InformerOverGrpc) {
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("a")).ok());
  InformerOptions o;
  o.resource = "pods";
  Informer inf(client_.get(), o);
  absl::Mutex mu;
  std::vector<std::string> seen;
  EventHandlers h;
  h.on_add = [&](const google::protobuf::Message& obj) {
    absl::MutexLock l(&mu);
    seen.push_back("add " + Informer::KeyOf(obj));
  };
  inf.AddHandlers(h);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(absl::Seconds(10)));
  ASSERT_TRUE(client_->Create("pods", "default", MakePod("b")).ok());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (inf.Get("default/b") == nullptr && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_NE(inf.Get("default/b"), nullptr);
  inf.Shutdown();
  absl::MutexLock l(&mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"add default/a", "add default/b"}));
}

TEST_F(GrpcClientTest, LeaderElectionAndEventsOverGrpc) {
  LeaderElectionConfig c;
  c.lease_name = "mk-test";
  c.identity = "me";
  c.retry_period = absl::Milliseconds(50);
  LeaderElector le(client_.get(), c);
  le.Start();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!le.IsLeader() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  ASSERT_TRUE(le.IsLeader());
  absl::SleepFor(absl::Milliseconds(200));  // a few renewals (conditional updates)
  EXPECT_TRUE(le.IsLeader());
  le.Shutdown();
  auto lease = client_->GetAs<api::Lease>("leases", "kube-system", "mk-test");
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(lease->spec().holder_identity(), "");

  auto pod = client_->CreateAs("pods", "default", MakePod("a"));
  ASSERT_TRUE(pod.ok());
  EventRecorder rec(client_.get(), "kubelet", "n1");
  rec.Event(*pod, "Warning", "BackOff", "Back-off restarting failed container");
  rec.Event(*pod, "Warning", "BackOff", "Back-off restarting failed container");
  ASSERT_TRUE(rec.Flush());
  auto events = client_->ListAs<api::Event>("events", "default");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].count(), 2);
  EXPECT_EQ((*events)[0].involved_object().uid(), pod->metadata().uid());
}

}  // namespace
}  // namespace mk
