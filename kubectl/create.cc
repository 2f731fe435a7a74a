// mkctl create: -f, secret generic|docker-registry, namespace, serviceaccount.

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "kubectl/commands.h"
#include "kubectl/output.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

std::string Basename(const std::string& p) {
  size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// POSTs `obj` (or prints it for --dry-run=client) and prints `kind/name created`.
int CreateObject(Env& env, const ResourceInfo& r, Json obj) {
  std::string dry = env.args.Get("dry-run");
  std::string format = env.args.Get("output");
  std::string name = JName(obj);
  if (dry == "client") {
    if (!format.empty() && format != "name") {
      absl::Status st = PrintStructured(*env.out, format, obj);
      return st.ok() ? 0 : Fail(env, st);
    }
    *env.out << KindName(r) << "/" << name << " created (dry run)\n";
    return 0;
  }
  auto created = env.api().Post(ResourcePath(r, r.namespaced ? env.ns : ""), obj);
  if (!created.ok()) return Fail(env, created.status());
  if (!format.empty() && format != "name") {
    absl::Status st = PrintStructured(*env.out, format, WithTypeMeta(r, *created));
    return st.ok() ? 0 : Fail(env, st);
  }
  *env.out << KindName(r) << "/" << JName(*created) << (format == "name" ? "" : " created") << "\n";
  return 0;
}

Json NewObject(const std::string& api_version, const std::string& kind, const std::string& name,
               const std::string& ns) {
  Json obj = Json::object();
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  obj["metadata"] = {{"name", name}};
  if (!ns.empty()) obj["metadata"]["namespace"] = ns;
  return obj;
}

absl::Status AddFileData(Env& env, const std::string& spec, Json* data) {
  std::string key, path = spec;
  if (size_t eq = spec.find('='); eq != std::string::npos) {
    key = spec.substr(0, eq);
    path = spec.substr(eq + 1);
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("error reading ", path, ": no such file or directory"));
  }
  if (S_ISDIR(st.st_mode)) {
    if (!key.empty()) {
      return absl::InvalidArgumentError("cannot give a key name for a directory path");
    }
    std::vector<std::string> names;
    DIR* d = opendir(path.c_str());
    while (dirent* e = d != nullptr ? readdir(d) : nullptr) {
      std::string n = e->d_name;
      std::string p = absl::StrCat(path, "/", n);
      struct stat fs;
      if (stat(p.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) names.push_back(n);
    }
    if (d != nullptr) closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      absl::Status s = AddFileData(env, absl::StrCat(n, "=", path, "/", n), data);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (key.empty()) key = Basename(path);
  auto content = ReadFile(env, path);
  if (!content.ok()) return content.status();
  if (data->contains(key)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot add key ", key, ", another key by that name already exists in Data"));
  }
  (*data)[key] = absl::Base64Escape(*content);
  return absl::OkStatus();
}

int CreateSecretGeneric(Env& env, const std::string& name) {
  Json secret = NewObject("v1", "Secret", name, env.ns);
  Json data = Json::object();
  for (const std::string& f : env.args.GetAll("from-file")) {
    if (absl::Status st = AddFileData(env, f, &data); !st.ok()) return Fail(env, st);
  }
  for (const std::string& l : env.args.GetAll("from-literal")) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return FailMsg(env, absl::StrCat("invalid literal source ", l, ", expected key=value"));
    }
    std::string key = l.substr(0, eq);
    if (data.contains(key)) {
      return FailMsg(env, absl::StrCat("cannot add key ", key,
                                       ", another key by that name already exists in Data"));
    }
    data[key] = absl::Base64Escape(l.substr(eq + 1));
  }
  if (!data.empty()) secret["data"] = data;
  std::string type = env.args.Get("type");
  if (!type.empty()) secret["type"] = type;
  return CreateObject(env, *FindResource("secrets"), secret);
}

int CreateSecretDockerRegistry(Env& env, const std::string& name) {
  Json secret = NewObject("v1", "Secret", name, env.ns);
  secret["type"] = "kubernetes.io/dockerconfigjson";
  Json data = Json::object();
  if (env.args.Has("from-file")) {
    for (const std::string& f : env.args.GetAll("from-file")) {
      if (absl::Status st = AddFileData(env, f, &data); !st.ok()) return Fail(env, st);
    }
  } else {
    std::string user = env.args.Get("docker-username");
    std::string pass = env.args.Get("docker-password");
    if (user.empty()) return FailMsg(env, "missing required flag: --docker-username");
    if (pass.empty()) return FailMsg(env, "missing required flag: --docker-password");
    std::string server = env.args.Get("docker-server");
    Json entry = Json::object();
    entry["username"] = user;
    entry["password"] = pass;
    if (!env.args.Get("docker-email").empty()) entry["email"] = env.args.Get("docker-email");
    entry["auth"] = absl::Base64Escape(absl::StrCat(user, ":", pass));
    Json config = {{"auths", {{server, entry}}}};
    data[".dockerconfigjson"] = absl::Base64Escape(config.dump());
  }
  secret["data"] = data;
  return CreateObject(env, *FindResource("secrets"), secret);
}

int CreateFromFiles(Env& env) {
  auto docs = ReadManifests(env, env.args.GetAll("filename"), env.args.GetBool("recursive"));
  if (!docs.ok()) return Fail(env, docs.status());
  std::string validate = env.args.Get("validate");
  if (validate != "false" && validate != "ignore") {
    for (const ManifestDoc& d : *docs) {
      if (absl::Status st = ValidateManifest(d); !st.ok()) return Fail(env, st);
    }
  }
  int rc = 0;
  for (const ManifestDoc& d : *docs) {
    std::string ns = NamespaceOf(env, *d.resource, d.obj);
    Json obj = d.obj;
    if (!ns.empty()) obj["metadata"]["namespace"] = ns;
    std::string dry = env.args.Get("dry-run");
    if (dry == "client") {  // nothing is sent
      *env.out << KindName(*d.resource) << "/" << JName(obj) << " created (dry run)\n";
      continue;
    }
    std::string path = ResourcePath(*d.resource, ns);
    if (dry == "server") path = WithQuery(path, {{"dryRun", "All"}});
    auto created = env.api().Post(path, obj);
    if (!created.ok()) {
      PrintError(*env.err, created.status(),
                 absl::StrCat("error when creating \"", d.source, "\": "));
      rc = 1;
      continue;
    }
    *env.out << NameLine(*d.resource, *created)
             << (dry == "server" ? " created (server dry run)\n" : " created\n");
  }
  return rc;
}

}  // namespace

void CreateFlags(Args* a) {
  a->Flag("filename", 'f')
      .Bool("recursive", 'R')
      .Flag("output", 'o')
      .Optional("dry-run", "none", "client")
      .Optional("validate", "strict", "strict")
      .Bool("save-config")
      .Flag("from-file")
      .Flag("from-literal")
      .Flag("type")
      .Flag("docker-server", 0, "https://index.docker.io/v1/")
      .Flag("docker-username")
      .Flag("docker-password")
      .Flag("docker-email");
}

int RunCreate(Env& env) {
  const auto& pos = env.args.positional();
  if (env.args.Has("filename")) return CreateFromFiles(env);
  if (pos.empty()) return FailMsg(env, "must specify one of -f and -k");
  const std::string& what = pos[0];
  if (what == "secret") {
    if (pos.size() < 2) {
      return FailMsg(env, "must specify the secret type: generic, docker-registry");
    }
    if (pos.size() < 3) return FailMsg(env, "exactly one NAME is required, got 0");
    if (pos[1] == "generic") return CreateSecretGeneric(env, pos[2]);
    if (pos[1] == "docker-registry") return CreateSecretDockerRegistry(env, pos[2]);
    return FailMsg(env, absl::StrCat("unknown secret type \"", pos[1], "\""));
  }
  if (what == "namespace" || what == "ns") {
    if (pos.size() != 2) return FailMsg(env, "exactly one NAME is required, got 0");
    return CreateObject(env, *FindResource("namespaces"), NewObject("v1", "Namespace", pos[1], ""));
  }
  if (what == "serviceaccount" || what == "sa") {
    if (pos.size() != 2) return FailMsg(env, "exactly one NAME is required, got 0");
    return CreateObject(env, *FindResource("serviceaccounts"),
                        NewObject("v1", "ServiceAccount", pos[1], env.ns));
  }
  return FailMsg(env, absl::StrCat("unknown command \"", what, "\" for \"mkctl create\""));
}

}  // namespace mk::kubectl
