#pragma once

// The authorization matrix' endpoints and fixtures: every resource of the apiserver's table
// (common/resources.h) with its verbs and subresources over REST and over every method of
// the gRPC service ApiServer, discovery and health paths, and metrics.k8s.io. A resource
// added to the table is covered without touching this file, as long as FixtureBody() can
// build a valid object of its kind.

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/json.h"
#include "common/pki.h"
#include "common/resources.h"
#include "tests/integration/authz_matrix_policy.h"

namespace mk::testing::authz_matrix {

// One object the matrix aims at.
struct Target {
  std::string ns;  // "" for cluster-scoped
  std::string name;
};

// The objects of each resource that the checks address; the test creates them all first.
// Pods, secrets, nodes and leases have one each side of node-a's relationships.
inline std::vector<Target> Targets(const ResourceInfo& r) {
  if (r.name == "pods") return {{kNs, "pod-a"}, {kNs, "pod-b"}, {kNs, "pod-1"}};
  if (r.name == "secrets") return {{kNs, "secret-a"}, {kNs, "secret-b"}, {kNs, "secret-1"}};
  if (r.name == "nodes") return {{"", kNodeA}, {"", kNodeB}};
  if (r.name == "serviceaccounts") return {{kNs, "default"}, {kNs, "serviceaccount-1"}};
  if (r.name == "leases") {
    return {{kNs, "lease-1"},
            {"kube-node-lease", kNodeA},
            {"kube-node-lease", kNodeB},
            {"kube-system", "mk-scheduler"},
            {"kube-system", "mk-controller-manager"}};
  }
  return {{r.namespaced ? kNs : "", r.singular + "-1"}};
}

// The name the matrix' creates of fresh objects use.
inline std::string FreshName(const ResourceInfo& r) { return "new-" + r.singular; }

inline Json Container() { return {{"name", "c"}, {"image", "busybox:1"}}; }

// A valid object of resource `r` named `name` in `ns` (the namespace is implied by the path).
// pod-a uses secret-a through an env secretKeyRef, pod-b uses secret-b as a volume.
inline Json FixtureBody(const ResourceInfo& r, const std::string& ns, const std::string& name) {
  Json o = {{"apiVersion", r.ApiVersion()}, {"kind", r.kind}, {"metadata", {{"name", name}}}};
  if (r.name == "pods") {
    Json c = Container();
    if (name == "pod-a") {
      c["env"] = {{{"name", "TOKEN"},
                   {"valueFrom", {{"secretKeyRef", {{"name", "secret-a"}, {"key", "token"}}}}}}};
    }
    o["spec"] = {{"containers", {c}}};
    if (name == "pod-b") {
      o["spec"]["volumes"] = {{{"name", "s"}, {"secret", {{"secretName", "secret-b"}}}}};
    }
  } else if (r.name == "secrets") {
    o["data"] = {{"token", "c2VjcmV0"}};
  } else if (r.name == "events") {
    o["involvedObject"] = {{"kind", "Pod"}, {"namespace", ns}, {"name", "pod-1"}};
    o["reason"] = "Probe";
    o["message"] = "authorization matrix";
    o["type"] = "Normal";
  } else if (r.name == "replicasets") {
    Json labels = {{"app", name}};
    o["spec"] = {{"replicas", 0},
                 {"selector", {{"matchLabels", labels}}},
                 {"template",
                  {{"metadata", {{"labels", labels}}}, {"spec", {{"containers", {Container()}}}}}}};
  } else if (r.name == "leases") {
    o["spec"] = {{"holderIdentity", name}, {"leaseDurationSeconds", 40}};
  } else if (r.name == "certificatesigningrequests") {
    auto key = pki::GenerateKey();
    auto csr = pki::CreateCsr(key.ok() ? *key : "", "system:node:" + name, {"system:nodes"});
    o["spec"] = {{"request", absl::Base64Escape(csr.ok() ? *csr : "")},
                 {"signerName", "example.com/matrix"},
                 {"usages", {"client auth"}}};
  } else if (r.name == "horizontalpodautoscalers") {
    o["spec"] = {{"scaleTargetRef",
                  {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "replicaset-1"}}},
                 {"minReplicas", 1},
                 {"maxReplicas", 2}};
  }
  return o;
}

inline bool HasSubresource(const ResourceInfo& r, const std::string& sub) {
  return Has(r.subresources, sub);
}

inline std::string RestMethod(const std::string& verb) {
  if (verb == "create") return "POST";
  if (verb == "update") return "PUT";
  if (verb == "patch") return "PATCH";
  if (verb == "delete" || verb == "deletecollection") return "DELETE";
  return "GET";
}

// A REST call of `verb` on `t` (a collection when t.name is empty).
inline Call ObjectCall(const std::string& verb, const ResourceInfo& r, const Target& t,
                       const std::string& sub = "") {
  Call c;
  c.api = Api::kRest;
  c.method = RestMethod(verb);
  c.verb = verb;
  c.group = r.group;
  c.version = r.version;
  c.resource = r.name;
  c.subresource = sub;
  c.ns = t.ns;
  c.name = t.name;
  return c;
}

// Every call of the matrix for resource `r`, REST and gRPC.
inline void AddResourceCalls(const ResourceInfo& r, std::vector<Call>* out) {
  auto rest = [&](const std::string& verb, const Target& t, const std::string& sub = "") {
    out->push_back(ObjectCall(verb, r, t, sub));
    return &out->back();
  };
  auto grpc = [&](const std::string& method, const std::string& verb, const Target& t,
                  const std::string& sub = "") {
    Call* c = rest(verb, t, sub);
    c->api = Api::kGrpc;
    c->method = method;
    return c;
  };
  // Collections: each namespace the targets live in, and all namespaces.
  std::set<std::string> namespaces;
  for (const Target& t : Targets(r)) namespaces.insert(t.ns);
  if (r.namespaced) namespaces.insert("");
  for (const std::string& ns : namespaces) {
    Target coll{ns, ""};
    for (const char* verb : {"list", "watch"}) {
      rest(verb, coll);
      grpc(verb == std::string("list") ? "List" : "Watch", verb, coll);
      if (r.name != "pods") continue;
      for (const char* node : {kNodeA, kNodeB}) {
        rest(verb, coll)->field_selector = absl::StrCat("spec.nodeName=", node);
        grpc(verb == std::string("list") ? "List" : "Watch", verb, coll)->field_selector =
            absl::StrCat("spec.nodeName=", node);
      }
    }
    if (r.namespaced && ns.empty()) continue;  // no create or deletecollection across namespaces
    rest("deletecollection", coll);
    Target fresh{ns, FreshName(r)};
    rest("create", fresh);
    grpc("Create", "create", fresh);
  }
  for (const Target& t : Targets(r)) {
    for (const char* verb : {"get", "update", "patch", "delete", "create"}) {
      rest(verb, t);  // create: the same name again, so an authorized caller gets 409
    }
    grpc("Get", "get", t);
    grpc("Create", "create", t);
    grpc("Update", "update", t);
    grpc("Patch", "patch", t);
    grpc("Delete", "delete", t);
    if (!r.namespaced) {
      // A namespace field on a cluster-scoped object means nothing: the authorizer must see
      // the object as the handler does.
      for (const char* m : {"Get", "Update", "Patch", "Delete"}) {
        grpc(m, absl::AsciiStrToLower(m), t)->sent_ns = kNs;
      }
    }
    for (const std::string& sub : r.subresources) {
      if (sub == "binding") {
        rest("create", t, sub);
        grpc("Bind", "create", t, sub);
      } else if (sub == "log") {
        rest("get", t, sub);
      } else {  // status, scale
        for (const char* verb : {"get", "update", "patch"}) rest(verb, t, sub);
        grpc("Get", "get", t, sub);
        grpc("Update", "update", t, sub);
        grpc("Patch", "patch", t, sub);
        rest("create", t, sub)->never_succeeds = true;  // POST on a named object: 405
      }
      // The gRPC Create method has no subresources (Bind is its own method): whatever the
      // subresource says, it must not create the object.
      grpc("Create", "create", {t.ns, FreshName(r) + "-" + sub}, sub)->never_succeeds = true;
    }
  }
}

// metrics.k8s.io, served by the apiserver itself (read-only).
inline void AddMetricsCalls(std::vector<Call>* out) {
  struct M {
    const char* verb;
    const char* resource;
    std::string ns, name;
  };
  for (const M& m :
       {M{"list", "nodes", "", ""}, M{"get", "nodes", "", kNodeA}, M{"list", "pods", "", ""},
        M{"list", "pods", kNs, ""}, M{"get", "pods", kNs, "pod-a"}}) {
    Call c;
    c.method = "GET";
    c.verb = m.verb;
    c.group = "metrics.k8s.io";
    c.version = "v1beta1";
    c.resource = m.resource;
    c.ns = m.ns;
    c.name = m.name;
    out->push_back(c);
  }
}

// Health, version, discovery (one document per group version of the table), openapi, metrics.
inline void AddNonResourceCalls(std::vector<Call>* out) {
  std::set<std::string> paths = {"/healthz",
                                 "/readyz",
                                 "/livez",
                                 "/version",
                                 "/metrics",
                                 "/api",
                                 "/api/v1",
                                 "/apis",
                                 "/openapi/v2",
                                 "/apis/metrics.k8s.io",
                                 "/apis/metrics.k8s.io/v1beta1"};
  for (const ResourceInfo& r : AllResources()) {
    if (r.group.empty()) continue;
    paths.insert("/apis/" + r.group);
    paths.insert("/apis/" + r.group + "/" + r.version);
  }
  for (const std::string& p : paths) {
    Call c;
    c.method = "GET";
    c.verb = "get";
    c.resource_request = false;
    c.path = p;
    out->push_back(c);
  }
}

inline std::vector<Call> MatrixCalls() {
  std::vector<Call> calls;
  AddNonResourceCalls(&calls);
  AddMetricsCalls(&calls);
  for (const ResourceInfo& r : AllResources()) AddResourceCalls(r, &calls);
  return calls;
}

}  // namespace mk::testing::authz_matrix
