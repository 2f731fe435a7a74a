// mkctl: the kubectl-compatible command-line client of mk.

#include <iostream>
#include <string>
#include <vector>

#include "kubectl/cli.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  int rc = mk::kubectl::RunMkctl(args, std::cin, std::cout, std::cerr);
  std::cout.flush();
  return rc;
}
