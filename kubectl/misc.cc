// mkctl version, api-resources, cluster-info, config view.

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/yaml_printer.h"
#include "kubectl/commands.h"
#include "kubectl/output.h"
#include "kubectl/table_writer.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

constexpr char kClientVersion[] = "v1.32.0-mk";

Json ClientVersion() {
  return {{"major", "1"},         {"minor", "32"},           {"gitVersion", kClientVersion},
          {"gitCommit", "mk"},    {"gitTreeState", "clean"}, {"buildDate", ""},
          {"goVersion", "c++17"}, {"compiler", "gcc"},       {"platform", "linux/amd64"}};
}

}  // namespace

void VersionFlags(Args* a) { a->Bool("client").Flag("output", 'o').Bool("short"); }

int RunVersion(Env& env) {
  std::string format = env.args.Get("output");
  Json out = {{"clientVersion", ClientVersion()}};
  absl::Status server_err;
  if (!env.args.GetBool("client")) {
    auto v = env.api().Get("/version");
    if (v.ok()) {
      out["serverVersion"] = *v;
    } else {
      server_err = v.status();
    }
  }
  if (format == "json" || format == "yaml") {
    if (format == "json") {
      *env.out << Sorted(out).dump(2) << "\n";
    } else {
      *env.out << ToYaml(out);
    }
  } else if (!format.empty()) {
    return FailMsg(env, "--output must be 'yaml' or 'json'");
  } else {
    *env.out << "Client Version: " << kClientVersion << "\n";
    if (out.contains("serverVersion")) {
      *env.out << "Server Version: " << out["serverVersion"].value("gitVersion", "") << "\n";
    }
  }
  if (!server_err.ok()) return Fail(env, server_err);
  return 0;
}

void ApiResourcesFlags(Args* a) {
  a->Flag("output", 'o')
      .Bool("no-headers")
      .Flag("api-group")
      .Optional("namespaced", "", "true")
      .Flag("verbs")
      .Flag("sort-by");
}

int RunApiResources(Env& env) {
  struct Row {
    std::string name, shortnames, apiversion, namespaced, kind;
  };
  std::vector<Row> rows;
  std::vector<std::string> group_versions = {"v1"};
  auto groups = env.api().Get("/apis");
  if (!groups.ok()) return Fail(env, groups.status());
  for (const Json& g : groups->value("groups", Json::array())) {
    const Json& pv = g.value("preferredVersion", Json::object());
    std::string gv = pv.value("groupVersion", "");
    if (!gv.empty()) group_versions.push_back(gv);
  }
  std::string want_group = env.args.Get("api-group");
  std::string namespaced = env.args.Get("namespaced");
  for (const std::string& gv : group_versions) {
    std::string group = gv.find('/') == std::string::npos ? "" : gv.substr(0, gv.find('/'));
    if (env.args.Has("api-group") && group != want_group) continue;
    auto list = env.api().Get(gv == "v1" ? "/api/v1" : absl::StrCat("/apis/", gv));
    if (!list.ok()) return Fail(env, list.status());
    for (const Json& r : list->value("resources", Json::array())) {
      std::string name = r.value("name", "");
      if (name.find('/') != std::string::npos) continue;
      bool ns = r.value("namespaced", false);
      if (!namespaced.empty() && (namespaced == "true") != ns) continue;
      std::vector<std::string> shorts;
      for (const Json& s : r.value("shortNames", Json::array()))
        shorts.push_back(s.get<std::string>());
      rows.push_back(
          {name, absl::StrJoin(shorts, ","), gv, ns ? "true" : "false", r.value("kind", "")});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.name < b.name; });
  if (env.args.Get("output") == "name") {
    for (const Row& r : rows) {
      std::string g = r.apiversion.find('/') == std::string::npos
                          ? ""
                          : "." + r.apiversion.substr(0, r.apiversion.find('/'));
      *env.out << r.name << g << "\n";
    }
    return 0;
  }
  TableWriter t;
  if (!env.args.GetBool("no-headers")) {
    t.AddRow({"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"});
  }
  for (const Row& r : rows) t.AddRow({r.name, r.shortnames, r.apiversion, r.namespaced, r.kind});
  t.Flush(*env.out);
  return 0;
}

int RunClusterInfo(Env& env) {
  auto v = env.api().Get("/version");
  if (!v.ok()) {
    PrintError(*env.err, v.status());
    *env.out << "\nTo further debug and diagnose cluster problems, use 'mkctl cluster-info "
                "dump'.\n";
    return 1;
  }
  *env.out << "Kubernetes control plane is running at " << env.api().server() << "\n\n"
           << "To further debug and diagnose cluster problems, use 'mkctl cluster-info dump'.\n";
  return 0;
}

void ConfigFlags(Args* a) { a->Flag("output", 'o').Bool("minify").Bool("raw").Bool("flatten"); }

int RunConfig(Env& env) {
  const auto& pos = env.args.positional();
  if (pos.empty()) return FailMsg(env, "expected a config subcommand: view, current-context");
  if (pos[0] == "current-context") {
    if (env.kubeconfig.context.empty()) return FailMsg(env, "current-context is not set");
    *env.out << env.kubeconfig.context << "\n";
    return 0;
  }
  if (pos[0] != "view")
    return FailMsg(env, absl::StrCat("unknown config subcommand \"", pos[0], "\""));
  Json cfg = env.kubeconfig.raw;
  if (!env.kubeconfig.loaded) {
    cfg = {{"apiVersion", "v1"},    {"clusters", nullptr}, {"contexts", nullptr},
           {"current-context", ""}, {"kind", "Config"},    {"preferences", Json::object()},
           {"users", nullptr}};
  }
  if (!env.args.GetBool("raw") && cfg.contains("users") && cfg["users"].is_array()) {
    for (Json& u : cfg["users"]) {
      if (!u.contains("user") || !u["user"].is_object()) continue;
      for (const char* k : {"token", "client-key-data", "client-certificate-data", "password"}) {
        if (u["user"].contains(k)) {
          u["user"][k] = std::string(k) == "token" || std::string(k) == "password" ? "REDACTED"
                                                                                   : "DATA+OMITTED";
        }
      }
    }
  }
  std::string format = env.args.Get("output");
  if (format == "json") {
    *env.out << Sorted(cfg).dump(4) << "\n";
  } else {
    *env.out << ToYaml(cfg);
  }
  return 0;
}

}  // namespace mk::kubectl
