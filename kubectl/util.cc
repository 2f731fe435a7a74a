#include "kubectl/util.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/api_error.h"
#include "common/json_codec.h"
#include "common/manifest.h"

namespace mk::kubectl {

void PrintError(std::ostream& err, const absl::Status& status, const std::string& context) {
  if (IsConnectionError(status)) {
    err << status.message() << "\n";
    return;
  }
  auto payload = status.GetPayload("type.mk/mk.api.Status");
  if (payload.has_value()) {
    api::Status s = ToApiStatus(status);
    err << "Error from server";
    if (!s.reason().empty() && s.reason() != "Unknown") err << " (" << s.reason() << ")";
    err << ": " << context << s.message() << "\n";
    return;
  }
  err << "error: " << context << status.message() << "\n";
}

int Fail(Env& env, const absl::Status& status, const std::string& context) {
  PrintError(*env.err, status, context);
  return 1;
}

int FailMsg(Env& env, const std::string& message) {
  *env.err << "error: " << message << "\n";
  return 1;
}

std::string KindName(const ResourceInfo& r) {
  std::string k = absl::AsciiStrToLower(r.kind);
  if (!r.group.empty()) absl::StrAppend(&k, ".", r.group);
  return k;
}

absl::StatusOr<const ResourceInfo*> ResolveType(const std::string& name) {
  const ResourceInfo* r = FindResource(name);
  if (r == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the server doesn't have a resource type \"", name, "\""));
  }
  return r;
}

absl::StatusOr<std::vector<TypeArg>> ParseTypeArgs(const std::vector<std::string>& pos) {
  std::vector<TypeArg> out;
  if (pos.empty()) return out;
  if (pos[0].find('/') != std::string::npos) {
    for (const std::string& p : pos) {
      size_t slash = p.find('/');
      if (slash == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("arguments in resource/name form must have a single resource and name"));
      }
      auto r = ResolveType(p.substr(0, slash));
      if (!r.ok()) return r.status();
      std::string name = p.substr(slash + 1);
      if (name.empty()) {
        return absl::InvalidArgumentError(
            "arguments in resource/name form must have a single resource and name");
      }
      auto it =
          std::find_if(out.begin(), out.end(), [&](const TypeArg& t) { return t.resource == *r; });
      if (it == out.end()) {
        out.push_back({*r, {name}});
      } else {
        it->names.push_back(name);
      }
    }
    return out;
  }
  for (absl::string_view t : absl::StrSplit(pos[0], ',', absl::SkipEmpty())) {
    if (t == "all") {
      out.push_back({FindResource("pods"), {}});
      out.push_back({FindResource("replicasets"), {}});
      out.push_back({FindResource("horizontalpodautoscalers"), {}});
      continue;
    }
    auto r = ResolveType(std::string(t));
    if (!r.ok()) return r.status();
    out.push_back({*r, {}});
  }
  for (size_t i = 1; i < pos.size(); ++i) {
    if (pos[i].find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          "there is no need to specify a resource type as a separate argument when passing "
          "arguments in resource/name form (e.g. 'mkctl get resource/<resource_name>' instead "
          "of 'mkctl get resource resource/<resource_name>'");
    }
    for (TypeArg& t : out) t.names.push_back(pos[i]);
  }
  return out;
}

std::unique_ptr<google::protobuf::Message> DecodeObject(const ResourceInfo& r, const Json& obj) {
  auto msg = r.New();
  std::vector<FieldError> errors;
  DecodeJsonInto(obj, msg.get(), "", &errors);  // lenient: unknown fields are skipped
  return msg;
}

std::string JName(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  const Json& m = obj["metadata"];
  return m.contains("name") && m["name"].is_string() ? m["name"].get<std::string>() : "";
}

std::string JNamespace(const Json& obj) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return "";
  const Json& m = obj["metadata"];
  return m.contains("namespace") && m["namespace"].is_string() ? m["namespace"].get<std::string>()
                                                               : "";
}

std::string NamespaceOf(const Env& env, const ResourceInfo& r, const Json& obj) {
  if (!r.namespaced) return "";
  std::string ns = JNamespace(obj);
  return ns.empty() ? env.ns : ns;
}

absl::StatusOr<std::string> ReadFile(Env& env, const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << env.in->rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("the path \"", path, "\" does not exist"));
  }
  ss << in.rdbuf();
  return ss.str();
}

namespace {

void ListDir(const std::string& dir, bool recursive, std::vector<std::string>* out) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::string p = absl::StrCat(dir, absl::EndsWith(dir, "/") ? "" : "/", n);
    struct stat st;
    if (stat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (recursive) ListDir(p, recursive, out);
    } else if (absl::EndsWith(n, ".yaml") || absl::EndsWith(n, ".yml") ||
               absl::EndsWith(n, ".json")) {
      out->push_back(p);
    }
  }
}

absl::Status AddDocs(const std::string& source, const Json& doc, std::vector<ManifestDoc>* out) {
  if (!doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error validating \"", source, "\": not an object"));
  }
  std::string kind = doc.value("kind", "");
  std::string av = doc.value("apiVersion", "");
  if (kind.empty() && doc.contains("kind") && !doc["kind"].is_string()) kind = "?";
  if (absl::EndsWith(kind, "List") && doc.contains("items") && doc["items"].is_array()) {
    for (const Json& item : doc["items"]) {
      absl::Status st = AddDocs(source, item, out);
      if (!st.ok()) return st;
    }
    return absl::OkStatus();
  }
  if (kind.empty() || av.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("error validating \"", source, "\": error validating data: [",
                     av.empty() ? "apiVersion not set" : "", av.empty() && kind.empty() ? ", " : "",
                     kind.empty() ? "kind not set" : "", "]"));
  }
  const ResourceInfo* r = FindResourceByKind(av, kind);
  if (r == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource mapping not found for name: \"", JName(doc), "\" namespace: \"",
                     JNamespace(doc), "\" from \"", source, "\": no matches for kind \"", kind,
                     "\" in version \"", av, "\"\nensure CRDs are installed first"));
  }
  out->push_back({source, doc, r});
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ManifestDoc>> ReadManifests(Env& env,
                                                       const std::vector<std::string>& files,
                                                       bool recursive) {
  std::vector<ManifestDoc> out;
  for (const std::string& f : files) {
    std::vector<std::string> paths;
    struct stat st;
    if (f != "-" && stat(f.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      ListDir(f, recursive, &paths);
    } else {
      paths.push_back(f);
    }
    for (const std::string& p : paths) {
      auto text = ReadFile(env, p);
      if (!text.ok()) return text.status();
      std::string source = p == "-" ? "STDIN" : p;
      auto docs = ParseManifests(*text);
      if (!docs.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("error parsing ", source, ": ", docs.status().message()));
      }
      for (const Json& d : *docs) {
        absl::Status s = AddDocs(source, d, &out);
        if (!s.ok()) return s;
      }
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("no objects passed to apply");
  return out;
}

absl::Status ValidateManifest(const ManifestDoc& doc) {
  auto msg = doc.resource->New();
  std::vector<FieldError> errors;
  DecodeJsonInto(doc.obj, msg.get(), "", &errors);
  if (errors.empty()) return absl::OkStatus();
  std::vector<std::string> parts;
  for (const FieldError& e : errors) parts.push_back(absl::StrCat(e.field, ": ", e.message));
  return absl::InvalidArgumentError(
      absl::StrCat("error validating \"", doc.source, "\": ", absl::StrJoin(parts, ", ")));
}

nlohmann::json Sorted(const Json& j) {
  if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = Sorted(it.value());
    return out;
  }
  if (j.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const Json& v : j) out.push_back(Sorted(v));
    return out;
  }
  return nlohmann::json::parse(j.dump());
}

}  // namespace mk::kubectl
