// Label and field selectors: Parse → ToString → Parse must succeed and print the same
// (ToString is canonical); the parsed selectors are matched against fixed objects.
// The first byte picks label (even) or field (odd) selectors and the field resource.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/string_view.h"
#include "api.pb.h"
#include "common/selectors.h"

namespace {

void Fail(absl::string_view what, absl::string_view input, absl::string_view printed,
          absl::string_view detail) {
  std::cerr << what << ": input \"" << input << "\" printed \"" << printed << "\" " << detail
            << "\n";
  abort();
}

void Labels(absl::string_view text) {
  auto sel = mk::LabelSelector::Parse(text);
  if (!sel.ok()) return;
  std::string printed = sel->ToString();
  auto again = mk::LabelSelector::Parse(printed);
  if (!again.ok()) Fail("label selector", text, printed, again.status().ToString());
  if (again->ToString() != printed) Fail("label selector", text, printed, again->ToString());
  std::map<std::string, std::string> labels = {{"app", "web"}, {"tier", "front"}, {"n", "3"}};
  bool m1 = sel->Matches(labels);
  bool m2 = again->Matches(labels);
  if (m1 != m2) Fail("label selector", text, printed, "matches differently");
  google::protobuf::Map<std::string, std::string> pmap;
  for (const auto& [k, v] : labels) pmap[k] = v;
  if (sel->Matches(pmap) != m1) Fail("label selector", text, printed, "map types disagree");
}

void Fields(absl::string_view resource, absl::string_view text) {
  auto sel = mk::FieldSelector::Parse(resource, text);
  if (!sel.ok()) return;
  std::string printed = sel->ToString();
  auto again = mk::FieldSelector::Parse(resource, printed);
  if (!again.ok()) Fail("field selector", text, printed, again.status().ToString());
  if (again->ToString() != printed) Fail("field selector", text, printed, again->ToString());
  mk::api::Pod pod;
  pod.mutable_metadata()->set_name("p");
  pod.mutable_metadata()->set_namespace_("default");
  pod.mutable_spec()->set_node_name("n1");
  pod.mutable_status()->set_phase("Running");
  if (sel->Matches(pod) != again->Matches(pod)) {
    Fail("field selector", text, printed, "matches differently");
  }
  std::string value;
  (void)sel->RequiresExactMatch("spec.nodeName", &value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 4096) return 0;
  static const char* const kResources[] = {"pods",       "events",      "secrets", "nodes",
                                           "namespaces", "replicasets", "services"};
  uint8_t mode = data[0];
  absl::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode % 2 == 0) {
    Labels(text);
  } else {
    Fields(kResources[(mode / 2) % (sizeof(kResources) / sizeof(kResources[0]))], text);
  }
  return 0;
}
