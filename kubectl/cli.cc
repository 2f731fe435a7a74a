#include "kubectl/cli.h"

#include <cstdlib>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

struct Command {
  void (*flags)(Args*);
  int (*run)(Env&);
  bool needs_client;
  const char* help;
};

void NoFlags(Args*) {}

const std::map<std::string, Command>& Commands() {
  static const auto* kCommands = new std::map<std::string, Command>{
      {"get", {GetFlags, RunGet, true, "Display one or many resources"}},
      {"describe", {DescribeFlags, RunDescribe, true, "Show details of a resource"}},
      {"apply", {ApplyFlags, RunApply, true, "Apply a configuration by file name or stdin"}},
      {"create", {CreateFlags, RunCreate, true, "Create a resource from a file or from stdin"}},
      {"delete", {DeleteFlags, RunDelete, true, "Delete resources"}},
      {"label", {LabelFlags, RunLabel, true, "Update the labels on a resource"}},
      {"annotate", {LabelFlags, RunAnnotate, true, "Update the annotations on a resource"}},
      {"patch", {PatchFlags, RunPatch, true, "Update fields of a resource"}},
      {"scale", {ScaleFlags, RunScale, true, "Set a new size for a replica set"}},
      {"logs", {LogsFlags, RunLogs, true, "Print the logs for a container in a pod"}},
      {"log", {LogsFlags, RunLogs, true, nullptr}},
      {"version", {VersionFlags, RunVersion, true, "Print the client and server version"}},
      {"api-resources",
       {ApiResourcesFlags, RunApiResources, true, "Print the supported API resources"}},
      {"cluster-info", {NoFlags, RunClusterInfo, true, "Display cluster information"}},
      {"config", {ConfigFlags, RunConfig, false, "Show the kubeconfig"}},
      {"cordon", {NoFlags, RunCordon, true, "Mark node as unschedulable"}},
      {"uncordon", {NoFlags, RunUncordon, true, "Mark node as schedulable"}},
      {"drain", {DrainFlags, RunDrain, true, "Drain node in preparation for maintenance"}},
      {"top", {TopFlags, RunTop, true, "Display resource (CPU/memory) usage"}},
      {"autoscale", {AutoscaleFlags, RunAutoscale, true, "Auto-scale a replica set with an HPA"}},
      {"certificate",
       {CertificateFlags, RunCertificate, true, "Approve or deny certificate signing requests"}},
  };
  return *kCommands;
}

void Usage(std::ostream& out) {
  out << "mkctl controls the mk cluster manager (a kubectl-compatible CLI).\n\n"
         "Usage:\n  mkctl [flags] [command]\n\nCommands:\n";
  for (const auto& [name, c] : Commands()) {
    if (c.help != nullptr)
      out << "  " << name << std::string(16 - name.size(), ' ') << c.help << "\n";
  }
  out << "\nGlobal flags: --kubeconfig, -s/--server, -n/--namespace, --context, -v\n";
}

}  // namespace

void AddGlobalFlags(Args* a) {
  a->Flag("kubeconfig")
      .Flag("server", 's')
      .Flag("namespace", 'n')
      .Flag("context")
      .Flag("cluster")
      .Flag("user")
      .Flag("token")
      .Flag("v", 'v', "0")
      .Flag("request-timeout", 0, "0")
      .Bool("insecure-skip-tls-verify")
      .Bool("help", 'h');
}

int RunMkctl(const std::vector<std::string>& argv, std::istream& in, std::ostream& out,
             std::ostream& err) {
  // Find the verb: the first argument that is not a global flag or its value.
  Args globals;
  AddGlobalFlags(&globals);
  size_t verb_at = argv.size();
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      if (a.find('=') != std::string::npos) continue;
      bool takes_value = false;
      if (a[1] == '-') {
        std::string n = a.substr(2);
        takes_value = n == "kubeconfig" || n == "server" || n == "namespace" || n == "context" ||
                      n == "cluster" || n == "user" || n == "token" || n == "v" ||
                      n == "request-timeout";
      } else if (a.size() == 2) {
        takes_value = a[1] == 's' || a[1] == 'n' || a[1] == 'v';
      }
      if (takes_value) ++i;
      continue;
    }
    verb_at = i;
    break;
  }
  if (verb_at == argv.size()) {
    Usage(out);
    return 0;
  }
  Env env;
  env.verb = argv[verb_at];
  env.in = &in;
  env.out = &out;
  env.err = &err;
  env.now = absl::Now();
  if (env.verb == "help") {
    Usage(out);
    return 0;
  }
  auto it = Commands().find(env.verb);
  if (it == Commands().end()) {
    err << "error: unknown command \"" << env.verb << "\" for \"mkctl\"\n";
    return 1;
  }
  AddGlobalFlags(&env.args);
  it->second.flags(&env.args);
  std::vector<std::string> rest(argv.begin(), argv.begin() + verb_at);
  rest.insert(rest.end(), argv.begin() + verb_at + 1, argv.end());
  if (absl::Status st = env.args.Parse(rest); !st.ok()) {
    err << "error: " << st.message() << "\nSee 'mkctl " << env.verb << " --help' for usage.\n";
    return 1;
  }
  if (env.args.GetBool("help")) {
    out << "mkctl " << env.verb << ": " << (it->second.help != nullptr ? it->second.help : "")
        << "\n";
    return 0;
  }
  std::string path = env.args.Get("kubeconfig");
  if (path.empty()) {
    // $KUBECONFIG: kubectl merges a list; mk uses its first file.
    const char* env_path = std::getenv("KUBECONFIG");
    std::string first = env_path != nullptr ? env_path : "";
    first = first.substr(0, first.find(':'));
    path = first.empty() ? DefaultKubeconfigPath() : first;
  }
  auto kc = LoadKubeconfig(path, env.args.Get("context"));
  if (!kc.ok()) {
    err << "error: " << kc.status().message() << "\n";
    return 1;
  }
  env.kubeconfig = *kc;
  env.ns_explicit = env.args.Has("namespace") && !env.args.Get("namespace").empty();
  env.ns = env.ns_explicit ? env.args.Get("namespace") : env.kubeconfig.ns;
  if (env.ns.empty()) env.ns = "default";
  env.all_namespaces = env.args.GetBool("all-namespaces");

  ClientOptions opts;
  opts.server = env.args.Has("server") ? env.args.Get("server") : env.kubeconfig.server;
  if (opts.server.empty()) opts.server = "https://127.0.0.1:6443";
  if (opts.server.find("://") == std::string::npos) opts.server = "https://" + opts.server;
  while (!opts.server.empty() && opts.server.back() == '/') opts.server.pop_back();
  opts.token = env.args.Has("token") ? env.args.Get("token") : env.kubeconfig.token;
  opts.ca_file = env.kubeconfig.ca_file;
  opts.client_cert_file = env.kubeconfig.client_cert_file;
  opts.client_key_file = env.kubeconfig.client_key_file;
  opts.ca_pem = env.kubeconfig.ca_pem;
  opts.client_cert_pem = env.kubeconfig.client_cert_pem;
  opts.client_key_pem = env.kubeconfig.client_key_pem;
  opts.insecure = env.kubeconfig.insecure || env.args.GetBool("insecure-skip-tls-verify");
  int v = 0;
  absl::SimpleAtoi(env.args.Get("v"), &v);
  opts.verbosity = v;
  std::string timeout = env.args.Get("request-timeout");
  if (!timeout.empty() && timeout.back() == 's') timeout.pop_back();
  absl::SimpleAtoi(timeout, &opts.timeout_seconds);
  opts.log = &err;
  opts.warnings = &err;
  env.client = std::make_unique<Client>(opts);
  return it->second.run(env);
}

}  // namespace mk::kubectl
