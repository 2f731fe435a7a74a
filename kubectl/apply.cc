// mkctl apply -f: client-side apply with the last-applied-configuration annotation and a
// three-way JSON merge patch.

#include "absl/strings/str_cat.h"
#include "common/manifest.h"
#include "kubectl/commands.h"
#include "kubectl/merge_patch.h"
#include "kubectl/output.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

constexpr char kLastApplied[] = "kubectl.kubernetes.io/last-applied-configuration";

// The manifest with its namespace filled in and the annotation set to the manifest itself.
Json Modified(const Json& manifest, const std::string& ns) {
  Json obj = manifest;
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = Json::object();
  if (!ns.empty()) obj["metadata"]["namespace"] = ns;
  Json& meta = obj["metadata"];
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) {
    meta["annotations"] = Json::object();
  }
  meta["annotations"].erase(kLastApplied);
  std::string config = Sorted(obj).dump() + "\n";
  meta["annotations"][kLastApplied] = config;
  return obj;
}

Json LastApplied(const Json& live) {
  const Json& meta = live.value("metadata", Json::object());
  const Json& ann = meta.value("annotations", Json::object());
  if (!ann.is_object() || !ann.contains(kLastApplied) || !ann[kLastApplied].is_string()) {
    return Json::object();
  }
  auto j = ParseJsonBody(ann[kLastApplied].get<std::string>());
  return j.ok() && j->is_object() ? *j : Json::object();
}

// Returns the message to print ("created", "configured", "unchanged") or an error.
absl::StatusOr<std::string> ApplyOne(Env& env, const ManifestDoc& doc, const std::string& ns) {
  const ResourceInfo& r = *doc.resource;
  std::string name = JName(doc.obj);
  Json modified = Modified(doc.obj, ns);
  std::string path = ResourcePath(r, ns, name);
  for (int attempt = 0;; ++attempt) {
    auto live = env.api().Get(path);
    if (!live.ok()) {
      if (live.status().code() != absl::StatusCode::kNotFound) return live.status();
      auto created = env.api().Post(ResourcePath(r, ns), modified);
      if (!created.ok()) return created.status();
      return std::string("created");
    }
    Json original = LastApplied(*live);
    if (original.empty()) {
      *env.err << "Warning: resource " << r.name << "/" << name << " is missing the "
               << kLastApplied
               << " annotation which is required by mkctl apply. mkctl apply should only be "
                  "used on resources created declaratively by either mkctl create "
                  "--save-config or mkctl apply. The missing annotation will be patched "
                  "automatically.\n";
    }
    // One stored schema serves every version of the group (autoscaling/v1 and v2): the live
    // object comes back at the storage version, which is no change to apply.
    if (modified.contains("apiVersion") && modified["apiVersion"].is_string() &&
        modified["apiVersion"] != r.ApiVersion()) {
      (*live)["apiVersion"] = modified["apiVersion"];
    }
    Json patch = ThreeWayMergePatch(original, modified, *live);
    if (patch.empty()) return std::string("unchanged");
    auto patched = env.api().Patch(path, patch.dump(), "application/merge-patch+json");
    if (patched.ok()) return std::string("configured");
    if (patched.status().code() != absl::StatusCode::kAborted || attempt >= 4) {
      return patched.status();
    }
  }
}

}  // namespace

void ApplyFlags(Args* a) {
  a->Flag("filename", 'f')
      .Flag("output", 'o')
      .Bool("recursive", 'R')
      .Optional("validate", "strict", "strict")
      .Bool("server-side")
      .Flag("dry-run", 0, "none")
      .Bool("all-namespaces", 'A');
}

int RunApply(Env& env) {
  std::vector<std::string> files = env.args.GetAll("filename");
  if (files.empty()) return FailMsg(env, "must specify one of -f and -k");
  auto docs = ReadManifests(env, files, env.args.GetBool("recursive"));
  if (!docs.ok()) return Fail(env, docs.status());
  std::string validate = env.args.Get("validate");
  if (validate != "false" && validate != "ignore") {
    for (const ManifestDoc& d : *docs) {
      if (absl::Status st = ValidateManifest(d); !st.ok()) return Fail(env, st);
    }
  }
  // Namespace checks before sending anything.
  for (const ManifestDoc& d : *docs) {
    std::string mns = JNamespace(d.obj);
    if (d.resource->namespaced && env.ns_explicit && !mns.empty() && mns != env.ns) {
      return FailMsg(env, absl::StrCat("the namespace from the provided object \"", mns,
                                       "\" does not match the namespace \"", env.ns,
                                       "\". You must pass '--namespace=", mns,
                                       "' to perform this operation."));
    }
    if (JName(d.obj).empty()) {
      return FailMsg(
          env, absl::StrCat("error validating \"", d.source, "\": metadata.name: Required value"));
    }
  }
  bool dry_run = env.args.Get("dry-run") == "client" || env.args.Get("dry-run") == "server";
  int rc = 0;
  for (const ManifestDoc& d : *docs) {
    std::string ns = NamespaceOf(env, *d.resource, d.obj);
    std::string msg;
    if (dry_run) {
      msg = "configured (dry run)";
    } else {
      auto res = ApplyOne(env, d, ns);
      if (!res.ok()) {
        PrintError(*env.err, res.status(),
                   absl::StrCat("error when applying \"", d.source, "\": "));
        rc = 1;
        continue;
      }
      msg = *res;
    }
    if (env.args.Get("output") == "name") {
      *env.out << NameLine(*d.resource, d.obj) << "\n";
    } else {
      *env.out << NameLine(*d.resource, d.obj) << " " << msg << "\n";
    }
  }
  return rc;
}

}  // namespace mk::kubectl
