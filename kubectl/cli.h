#pragma once

// mkctl's entry point and the environment every command runs in.

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "kubectl/args.h"
#include "kubectl/client.h"
#include "kubectl/kubeconfig.h"

namespace mk::kubectl {

struct Env {
  std::string verb;
  Args args;
  std::istream* in = &std::cin;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  Kubeconfig kubeconfig;
  std::string ns;  // -n, else the context's namespace, else "default"
  bool ns_explicit = false;
  bool all_namespaces = false;
  absl::Time now;
  std::unique_ptr<Client> client;

  Client& api() { return *client; }
};

// Runs one mkctl command line (argv without the program name); returns the exit code.
int RunMkctl(const std::vector<std::string>& argv, std::istream& in, std::ostream& out,
             std::ostream& err);

// The global flags every command accepts.
void AddGlobalFlags(Args* args);

}  // namespace mk::kubectl
