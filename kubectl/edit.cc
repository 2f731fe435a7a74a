// mkctl label, annotate, patch, cordon, uncordon: read, compute a patch, PATCH.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/manifest.h"
#include "kubectl/commands.h"
#include "kubectl/output.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

struct Object {
  const ResourceInfo* resource;
  std::string ns;
  std::string name;
};

// Resolves TYPE NAME... / TYPE/NAME... / TYPE -l SEL / TYPE --all into objects.
absl::StatusOr<std::vector<Object>> Targets(Env& env, const std::vector<std::string>& pos) {
  std::vector<Object> out;
  auto types = ParseTypeArgs(pos);
  if (!types.ok()) return types.status();
  for (const TypeArg& t : *types) {
    std::string ns = t.resource->namespaced ? env.ns : "";
    if (!t.names.empty()) {
      for (const std::string& n : t.names) out.push_back({t.resource, ns, n});
      continue;
    }
    if (!env.args.Has("selector") && !env.args.GetBool("all")) {
      return absl::InvalidArgumentError("resource(s) were provided, but no name was specified");
    }
    auto list = env.api().Get(WithQuery(ResourcePath(*t.resource, env.all_namespaces ? "" : ns),
                                        {{"labelSelector", env.args.Get("selector")}}));
    if (!list.ok()) return list.status();
    for (const Json& item : list->value("items", Json::array())) {
      out.push_back({t.resource, t.resource->namespaced ? JNamespace(item) : "", JName(item)});
    }
  }
  return out;
}

int RunMetadataEdit(Env& env, const std::string& field, const std::string& done) {
  std::vector<std::string> resources;
  std::vector<std::pair<std::string, Json>> changes;  // key → value (null = remove)
  for (const std::string& p : env.args.positional()) {
    size_t eq = p.find('=');
    if (eq != std::string::npos) {
      changes.push_back({p.substr(0, eq), p.substr(eq + 1)});
    } else if (p.size() > 1 && p.back() == '-' && p.find('/') == std::string::npos) {
      changes.push_back({p.substr(0, p.size() - 1), nullptr});
    } else if (p.size() > 1 && p.back() == '-' && !resources.empty()) {
      changes.push_back({p.substr(0, p.size() - 1), nullptr});
    } else {
      resources.push_back(p);
    }
  }
  std::string what = field == "labels" ? "label" : "annotation";
  if (resources.empty()) {
    return FailMsg(env,
                   "one or more resources must be specified as <resource> <name> or "
                   "<resource>/<name>");
  }
  if (changes.empty())
    return FailMsg(env, absl::StrCat("at least one ", what, " update is required"));
  auto targets = Targets(env, resources);
  if (!targets.ok()) return Fail(env, targets.status());
  bool overwrite = env.args.GetBool("overwrite");
  int rc = 0;
  for (const Object& o : *targets) {
    std::string path = ResourcePath(*o.resource, o.ns, o.name);
    auto live = env.api().Get(path);
    if (!live.ok()) {
      PrintError(*env.err, live.status());
      rc = 1;
      continue;
    }
    Json current = live->value("metadata", Json::object()).value(field, Json::object());
    Json patch_map = Json::object();
    bool failed = false;
    for (const auto& [k, v] : changes) {
      bool has = current.contains(k);
      if (v.is_null()) {
        if (!has) {
          *env.err << what << " \"" << k << "\" not found.\n";
          continue;
        }
        patch_map[k] = nullptr;
        continue;
      }
      if (has && current[k] != v && !overwrite) {
        *env.err << "error: '" << k << "' already has a value (" << current[k].get<std::string>()
                 << "), and --overwrite is false\n";
        failed = true;
        break;
      }
      if (!has || current[k] != v) patch_map[k] = v;
    }
    if (failed) {
      rc = 1;
      continue;
    }
    std::string line = absl::StrCat(KindName(*o.resource), "/", o.name);
    if (patch_map.empty()) {
      *env.out << line << " not " << done << "\n";
      continue;
    }
    Json patch = {{"metadata", {{field, patch_map}}}};
    auto res = env.api().Patch(path, patch.dump(), "application/merge-patch+json");
    if (!res.ok()) {
      PrintError(*env.err, res.status());
      rc = 1;
      continue;
    }
    *env.out << line << " " << done << "\n";
  }
  return rc;
}

int SetUnschedulable(Env& env, bool value) {
  const auto& pos = env.args.positional();
  if (pos.empty()) return FailMsg(env, "USAGE: cordon NODE [flags]");
  const ResourceInfo* nodes = FindResource("nodes");
  int rc = 0;
  for (std::string name : pos) {
    if (absl::StartsWith(name, "node/") || absl::StartsWith(name, "nodes/")) {
      name = name.substr(name.find('/') + 1);
    }
    std::string path = ResourcePath(*nodes, "", name);
    auto live = env.api().Get(path);
    if (!live.ok()) {
      PrintError(*env.err, live.status());
      rc = 1;
      continue;
    }
    bool cur = live->value("spec", Json::object()).value("unschedulable", false);
    std::string verb = value ? "cordoned" : "uncordoned";
    if (cur == value) {
      *env.out << "node/" << name << " already " << verb << "\n";
      continue;
    }
    Json patch = {{"spec", {{"unschedulable", value ? Json(true) : Json(nullptr)}}}};
    auto res = env.api().Patch(path, patch.dump(), "application/merge-patch+json");
    if (!res.ok()) {
      PrintError(*env.err, res.status());
      rc = 1;
      continue;
    }
    *env.out << "node/" << name << " " << verb << "\n";
  }
  return rc;
}

}  // namespace

void LabelFlags(Args* a) {
  a->Bool("overwrite")
      .Bool("all")
      .Bool("all-namespaces", 'A')
      .Flag("selector", 'l')
      .Flag("output", 'o')
      .Flag("resource-version")
      .Bool("list");
}

int RunLabel(Env& env) { return RunMetadataEdit(env, "labels", "labeled"); }
int RunAnnotate(Env& env) { return RunMetadataEdit(env, "annotations", "annotated"); }
int RunCordon(Env& env) { return SetUnschedulable(env, true); }
int RunUncordon(Env& env) { return SetUnschedulable(env, false); }

void PatchFlags(Args* a) {
  a->Flag("patch", 'p')
      .Flag("patch-file")
      .Flag("type", 0, "strategic")
      .Flag("output", 'o')
      .Flag("filename", 'f')
      .Flag("subresource");
}

int RunPatch(Env& env) {
  std::string type = env.args.Get("type");
  std::string content_type;
  if (type == "strategic") {
    content_type = "application/strategic-merge-patch+json";
  } else if (type == "merge") {
    content_type = "application/merge-patch+json";
  } else if (type == "json") {
    content_type = "application/json-patch+json";
  } else {
    return FailMsg(
        env, absl::StrCat("--type must be one of [json merge strategic], not \"", type, "\""));
  }
  std::string text = env.args.Get("patch");
  if (env.args.Has("patch-file")) {
    auto f = ReadFile(env, env.args.Get("patch-file"));
    if (!f.ok()) return Fail(env, f.status());
    text = *f;
  }
  if (text.empty()) return FailMsg(env, "must specify -p to patch");
  auto docs = ParseManifests(text);
  if (!docs.ok() || docs->size() != 1) {
    return FailMsg(env, absl::StrCat("unable to parse \"", text, "\": ",
                                     docs.ok() ? "expected one document"
                                               : std::string(docs.status().message())));
  }
  std::string body = (*docs)[0].dump();
  std::vector<Object> targets;
  if (env.args.Has("filename")) {
    auto manifests = ReadManifests(env, env.args.GetAll("filename"), false);
    if (!manifests.ok()) return Fail(env, manifests.status());
    for (const ManifestDoc& d : *manifests) {
      targets.push_back({d.resource, NamespaceOf(env, *d.resource, d.obj), JName(d.obj)});
    }
  } else {
    auto t = Targets(env, env.args.positional());
    if (!t.ok()) return Fail(env, t.status());
    targets = *t;
  }
  if (targets.empty()) return FailMsg(env, "must provide one or more resources");
  int rc = 0;
  for (const Object& o : targets) {
    std::string path = ResourcePath(*o.resource, o.ns, o.name, env.args.Get("subresource"));
    auto before = env.api().Get(path);
    if (!before.ok()) {
      PrintError(*env.err, before.status());
      rc = 1;
      continue;
    }
    auto after = env.api().Patch(path, body, content_type);
    if (!after.ok()) {
      PrintError(*env.err, after.status());
      rc = 1;
      continue;
    }
    std::string format = env.args.Get("output");
    if (!format.empty() && format != "name") {
      absl::Status st = PrintStructured(*env.out, format, WithTypeMeta(*o.resource, *after));
      if (!st.ok()) return Fail(env, st);
      continue;
    }
    bool changed = *before != *after;
    *env.out << KindName(*o.resource) << "/" << o.name;
    if (format != "name") *env.out << (changed ? " patched" : " patched (no change)");
    *env.out << "\n";
  }
  return rc;
}

}  // namespace mk::kubectl
