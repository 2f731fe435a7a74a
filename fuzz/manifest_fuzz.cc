// Manifest decoder: ParseManifests (YAML and JSON text) → for each document the strict
// DecodeJson into the message of its kind (FindResourceByKind; documents of an unknown kind
// are decoded into a resource picked by the input's size, to reach every message type) →
// EncodeJson. Property: what EncodeJson produces decodes again and re-encodes identically.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "common/json_codec.h"
#include "common/manifest.h"
#include "common/resources.h"

namespace {

void DecodeDocument(const mk::Json& doc, size_t salt) {
  const mk::ResourceInfo* info = nullptr;
  if (doc.is_object()) {
    auto api_version = doc.find("apiVersion");
    auto kind = doc.find("kind");
    if (api_version != doc.end() && api_version->is_string() && kind != doc.end() &&
        kind->is_string()) {
      info = mk::FindResourceByKind(api_version->get<std::string>(), kind->get<std::string>());
    }
  }
  if (info == nullptr) {
    const auto& all = mk::AllResources();
    info = &all[salt % all.size()];
  }
  std::unique_ptr<google::protobuf::Message> msg = info->New();
  if (!mk::DecodeJson(doc, msg.get()).ok()) return;
  mk::Json encoded = mk::EncodeJson(*msg);
  std::unique_ptr<google::protobuf::Message> again = info->New();
  absl::Status st = mk::DecodeJson(encoded, again.get());
  if (!st.ok()) {
    std::cerr << "EncodeJson output of " << info->kind << " does not decode: " << st << "\n"
              << encoded.dump() << "\n";
    abort();
  }
  mk::Json reencoded = mk::EncodeJson(*again);
  if (reencoded != encoded) {
    std::cerr << info->kind << " does not round-trip:\n"
              << encoded.dump() << "\n"
              << reencoded.dump() << "\n";
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  mk::ManifestLimits limits;
  limits.max_bytes = 64 * 1024;
  limits.max_nodes = 20000;  // keeps alias bombs cheap for the fuzzer too
  auto docs = mk::ParseManifests(text, limits);
  if (docs.ok()) {
    for (const mk::Json& doc : *docs) DecodeDocument(doc, size);
  }
  auto body = mk::ParseJsonBody(text, limits);
  if (body.ok()) DecodeDocument(*body, size + 1);
  return 0;
}
