#include "common/resources.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "api.pb.h"

namespace mk {

const std::vector<ResourceInfo>& AllResources() {
  static const auto* kAll = new std::vector<ResourceInfo>{
      {"pods",
       "pod",
       "Pod",
       "",
       "v1",
       true,
       {"po"},
       {"status", "binding", "log"},
       &api::Pod::default_instance()},
      {"nodes",
       "node",
       "Node",
       "",
       "v1",
       false,
       {"no"},
       {"status"},
       &api::Node::default_instance()},
      {"namespaces",
       "namespace",
       "Namespace",
       "",
       "v1",
       false,
       {"ns"},
       {"status"},
       &api::Namespace::default_instance()},
      {"secrets", "secret", "Secret", "", "v1", true, {}, {}, &api::Secret::default_instance()},
      {"serviceaccounts",
       "serviceaccount",
       "ServiceAccount",
       "",
       "v1",
       true,
       {"sa"},
       {},
       &api::ServiceAccount::default_instance()},
      {"events", "event", "Event", "", "v1", true, {"ev"}, {}, &api::Event::default_instance()},
      {"replicasets",
       "replicaset",
       "ReplicaSet",
       "apps",
       "v1",
       true,
       {"rs"},
       {"status", "scale"},
       &api::ReplicaSet::default_instance()},
      {"leases",
       "lease",
       "Lease",
       "coordination.k8s.io",
       "v1",
       true,
       {},
       {},
       &api::Lease::default_instance()},
      {"horizontalpodautoscalers",
       "horizontalpodautoscaler",
       "HorizontalPodAutoscaler",
       "autoscaling",
       "v2",
       true,
       {"hpa"},
       {"status"},
       &api::HorizontalPodAutoscaler::default_instance()},
      {"certificatesigningrequests",
       "certificatesigningrequest",
       "CertificateSigningRequest",
       "certificates.k8s.io",
       "v1",
       false,
       {"csr"},
       {"status", "approval"},
       &api::CertificateSigningRequest::default_instance()},
  };
  return *kAll;
}

const ResourceInfo* FindResource(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  // Allow "replicasets.apps" style names.
  if (size_t dot = n.find('.'); dot != std::string::npos) n = n.substr(0, dot);
  for (const ResourceInfo& r : AllResources()) {
    if (r.name == n || r.singular == n || absl::AsciiStrToLower(r.kind) == n) return &r;
    for (const std::string& s : r.short_names) {
      if (s == n) return &r;
    }
  }
  return nullptr;
}

const ResourceInfo* FindResourceByKind(absl::string_view api_version, absl::string_view kind) {
  std::string group;
  if (size_t slash = api_version.find('/'); slash != absl::string_view::npos) {
    group = std::string(api_version.substr(0, slash));
  }
  for (const ResourceInfo& r : AllResources()) {
    if (r.kind != kind) continue;
    if (r.ApiVersion() == api_version) return &r;
    // Other versions of the same group (autoscaling/v1, v2beta2) share the schema here.
    if (!group.empty() && r.group == group) return &r;
  }
  return nullptr;
}

}  // namespace mk
