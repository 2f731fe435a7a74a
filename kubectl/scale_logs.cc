// mkctl scale (via the scale subresource) and logs (streamed).

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {

void ScaleFlags(Args* a) {
  a->Flag("replicas", 0, "-1")
      .Flag("current-replicas", 0, "-1")
      .Flag("resource-version")
      .Flag("filename", 'f')
      .Flag("selector", 'l')
      .Bool("all")
      .Flag("output", 'o')
      .Flag("timeout", 0, "0s");
}

int RunScale(Env& env) {
  int64_t replicas = -1, current = -1;
  if (!env.args.GetInt("replicas", &replicas) || replicas < 0) {
    return FailMsg(env,
                   "The --replicas=COUNT flag is required, and COUNT must be greater than or "
                   "equal to 0");
  }
  env.args.GetInt("current-replicas", &current);
  struct Target {
    const ResourceInfo* r;
    std::string ns, name;
  };
  std::vector<Target> targets;
  if (env.args.Has("filename")) {
    auto docs = ReadManifests(env, env.args.GetAll("filename"), false);
    if (!docs.ok()) return Fail(env, docs.status());
    for (const ManifestDoc& d : *docs) {
      targets.push_back({d.resource, NamespaceOf(env, *d.resource, d.obj), JName(d.obj)});
    }
  } else {
    auto types = ParseTypeArgs(env.args.positional());
    if (!types.ok()) return Fail(env, types.status());
    for (const TypeArg& t : *types) {
      for (const std::string& n : t.names) {
        targets.push_back({t.resource, t.resource->namespaced ? env.ns : "", n});
      }
    }
  }
  if (targets.empty()) {
    return FailMsg(env, "required resource not specified");
  }
  int rc = 0;
  for (const Target& t : targets) {
    bool scalable = false;
    for (const std::string& s : t.r->subresources) scalable |= s == "scale";
    if (!scalable) {
      *env.err << "error: cannot scale " << t.r->name << "/" << t.name
               << ": no scale subresource\n";
      rc = 1;
      continue;
    }
    std::string path = ResourcePath(*t.r, t.ns, t.name, "scale");
    if (current >= 0) {
      auto scale = env.api().Get(path);
      if (!scale.ok()) {
        PrintError(*env.err, scale.status());
        rc = 1;
        continue;
      }
      int64_t have = scale->value("spec", Json::object()).value("replicas", 0);
      if (have != current) {
        *env.err << "error: Expected replicas to be " << current << ", was " << have << "\n";
        rc = 1;
        continue;
      }
    }
    Json patch = {{"spec", {{"replicas", replicas}}}};
    auto res = env.api().Patch(path, patch.dump(), "application/merge-patch+json");
    if (!res.ok()) {
      PrintError(*env.err, res.status());
      rc = 1;
      continue;
    }
    *env.out << KindName(*t.r) << "/" << t.name
             << (env.args.Get("output") == "name" ? "" : " scaled") << "\n";
  }
  return rc;
}

void LogsFlags(Args* a) {
  a->Flag("container", 'c')
      .Bool("follow", 'f')
      .Bool("previous", 'p')
      .Flag("tail", 0, "-1")
      .Flag("since")
      .Flag("since-time")
      .Bool("timestamps")
      .Flag("limit-bytes")
      .Bool("all-containers")
      .Flag("selector", 'l');
}

int RunLogs(Env& env) {
  const auto& pos = env.args.positional();
  if (pos.empty()) {
    return FailMsg(env,
                   "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
                   "POD or TYPE/NAME is a required argument for the logs command");
  }
  std::string name = pos[0];
  if (size_t slash = name.find('/'); slash != std::string::npos) {
    std::string type = name.substr(0, slash);
    if (type != "pod" && type != "pods" && type != "po") {
      return FailMsg(env, absl::StrCat("cannot get the logs from ", type));
    }
    name = name.substr(slash + 1);
  }
  std::string container = env.args.Get("container");
  if (container.empty() && pos.size() > 1) container = pos[1];
  const ResourceInfo* pods = FindResource("pods");
  if (container.empty()) {
    auto pod = env.api().Get(ResourcePath(*pods, env.ns, name));
    if (!pod.ok()) return Fail(env, pod.status());
    const Json& containers = pod->value("spec", Json::object()).value("containers", Json::array());
    if (containers.size() > 1) {
      std::string def = pod->value("metadata", Json::object())
                            .value("annotations", Json::object())
                            .value("kubectl.kubernetes.io/default-container", "");
      container = def.empty() ? containers[0].value("name", "") : def;
      std::string all;
      for (const Json& c : containers) {
        absl::StrAppend(&all, all.empty() ? "" : ", ", c.value("name", ""));
      }
      *env.err << "Defaulted container \"" << container << "\" out of: " << all << "\n";
    }
  }
  int64_t tail = -1;
  env.args.GetInt("tail", &tail);
  Query q = {{"container", container},
             {"follow", env.args.GetBool("follow") ? "true" : ""},
             {"previous", env.args.GetBool("previous") ? "true" : ""},
             {"tailLines", tail >= 0 ? absl::StrCat(tail) : ""},
             {"timestamps", env.args.GetBool("timestamps") ? "true" : ""},
             {"limitBytes", env.args.Get("limit-bytes")},
             {"sinceTime", env.args.Get("since-time")}};
  std::string since = env.args.Get("since");
  if (!since.empty()) {
    absl::Duration d;
    if (!absl::ParseDuration(since, &d)) return FailMsg(env, "invalid argument for --since");
    q.push_back({"sinceSeconds", absl::StrCat(absl::ToInt64Seconds(d))});
  }
  absl::Status st = env.api().Stream(WithQuery(ResourcePath(*pods, env.ns, name, "log"), q),
                                     [&](const char* d, size_t n) {
                                       env.out->write(d, static_cast<std::streamsize>(n));
                                       env.out->flush();
                                       return true;
                                     });
  if (!st.ok()) return Fail(env, st);
  return 0;
}

}  // namespace mk::kubectl
