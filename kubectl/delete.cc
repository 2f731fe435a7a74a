// mkctl delete: -f, TYPE NAME..., TYPE -l SEL, TYPE --all; grace period, cascade, --wait.

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kubectl/commands.h"
#include "kubectl/output.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

struct Target {
  const ResourceInfo* resource;
  std::string ns;
  std::string name;
  std::string source;  // manifest file, for error context
};

}  // namespace

void DeleteFlags(Args* a) {
  a->Flag("filename", 'f')
      .Bool("recursive", 'R')
      .Flag("selector", 'l')
      .Flag("field-selector")
      .Bool("all")
      .Bool("all-namespaces", 'A')
      .Flag("grace-period", 0, "-1")
      .Bool("now")
      .Bool("force")
      .Optional("cascade", "background", "background")
      .Optional("wait", "true", "true")
      .Flag("timeout", 0, "0s")
      .Bool("ignore-not-found")
      .Flag("output", 'o');
}

int RunDelete(Env& env) {
  int64_t grace = -1;
  if (!env.args.GetInt("grace-period", &grace)) {
    return FailMsg(env, "invalid argument for --grace-period");
  }
  bool force = env.args.GetBool("force");
  if (env.args.GetBool("now")) {
    if (grace != -1) return FailMsg(env, "--now and --grace-period cannot be specified together");
    grace = 1;
  }
  if (grace == 0 && !force) grace = 1;
  if (force && grace < 0) grace = 0;
  std::string cascade = env.args.Get("cascade");
  std::string policy;
  if (cascade == "background" || cascade == "true") {
    policy = "Background";
  } else if (cascade == "foreground") {
    policy = "Foreground";
  } else if (cascade == "orphan" || cascade == "false") {
    policy = "Orphan";
  } else {
    return FailMsg(env, absl::StrCat("invalid cascade value (", cascade,
                                     "). Must be \"background\", \"foreground\", or \"orphan\""));
  }
  bool ignore_not_found = env.args.GetBool("ignore-not-found");
  int rc = 0;
  std::vector<Target> targets;
  if (env.args.Has("filename")) {
    auto docs = ReadManifests(env, env.args.GetAll("filename"), env.args.GetBool("recursive"));
    if (!docs.ok()) return Fail(env, docs.status());
    for (const ManifestDoc& d : *docs) {
      targets.push_back({d.resource, NamespaceOf(env, *d.resource, d.obj), JName(d.obj), d.source});
    }
  } else {
    const auto& pos = env.args.positional();
    if (pos.empty()) {
      return FailMsg(env,
                     "You must provide one or more resources by argument or filename.\n"
                     "Example resource specifications include:\n   '-f rsrc.yaml'\n"
                     "   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'");
    }
    auto types = ParseTypeArgs(pos);
    if (!types.ok()) return Fail(env, types.status());
    bool by_selector =
        env.args.Has("selector") || env.args.Has("field-selector") || env.args.GetBool("all");
    for (const TypeArg& t : *types) {
      if (!t.names.empty()) {
        if (by_selector) {
          return FailMsg(env, "name cannot be provided when a selector is specified");
        }
        for (const std::string& n : t.names) {
          targets.push_back({t.resource, t.resource->namespaced ? env.ns : "", n, ""});
        }
        continue;
      }
      if (!by_selector) {
        return FailMsg(env, absl::StrCat("resource(s) were provided, but no name was specified"));
      }
      std::string ns = env.all_namespaces ? "" : env.ns;
      auto list = env.api().Get(WithQuery(ResourcePath(*t.resource, ns),
                                          {{"labelSelector", env.args.Get("selector")},
                                           {"fieldSelector", env.args.Get("field-selector")}}));
      if (!list.ok()) return Fail(env, list.status());
      for (const Json& item : list->value("items", Json::array())) {
        targets.push_back(
            {t.resource, t.resource->namespaced ? JNamespace(item) : "", JName(item), ""});
      }
    }
    if (targets.empty()) {
      *env.err << (env.all_namespaces
                       ? std::string("No resources found")
                       : absl::StrCat("No resources found in ", env.ns, " namespace."))
               << "\n";
      return 0;
    }
  }
  if (force) {
    *env.err << "Warning: Immediate deletion does not wait for confirmation that the running "
                "resource has been terminated. The resource may continue to run on the cluster "
                "indefinitely.\n";
  }
  Json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (grace >= 0) options["gracePeriodSeconds"] = grace;
  options["propagationPolicy"] = policy;
  std::vector<std::pair<Target, std::string>> deleted;  // with uid
  for (const Target& t : targets) {
    std::string path = ResourcePath(*t.resource, t.ns, t.name);
    auto res = env.api().Delete(path, options);
    if (!res.ok()) {
      if (res.status().code() == absl::StatusCode::kNotFound && ignore_not_found) continue;
      PrintError(*env.err, res.status(),
                 t.source.empty() ? "" : absl::StrCat("error when deleting \"", t.source, "\": "));
      rc = 1;
      continue;
    }
    if (env.args.Get("output") == "name") {
      *env.out << KindName(*t.resource) << "/" << t.name << "\n";
    } else {
      *env.out << KindName(*t.resource) << " \"" << t.name << "\" "
               << (force && grace == 0 ? "force deleted" : "deleted") << "\n";
    }
    env.out->flush();
    std::string uid;
    if (res->is_object() && res->value("kind", "") != "Status") {
      uid = res->value("metadata", Json::object()).value("uid", "");
    }
    deleted.push_back({t, uid});
  }
  bool wait = true;
  ParseBool(env.args.Get("wait"), &wait);
  if (!wait || (force && grace == 0)) return rc;
  std::string timeout = env.args.Get("timeout");
  int64_t timeout_s = 0;
  if (!timeout.empty() && timeout.back() == 's') timeout.pop_back();
  absl::SimpleAtoi(timeout, &timeout_s);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (const auto& [t, uid] : deleted) {
    std::string path = ResourcePath(*t.resource, t.ns, t.name);
    for (int i = 0;; ++i) {
      auto obj = env.api().Get(path);
      if (!obj.ok()) break;  // NotFound (or any error): gone as far as we can tell
      std::string cur = obj->value("metadata", Json::object()).value("uid", "");
      if (!uid.empty() && cur != uid) break;  // replaced by a new object
      if (timeout_s > 0 && std::chrono::steady_clock::now() > deadline) {
        *env.err << "error: timed out waiting for the condition on " << t.resource->name << "/"
                 << t.name << "\n";
        rc = 1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(i < 10 ? 50 : 250));
    }
  }
  return rc;
}

}  // namespace mk::kubectl
