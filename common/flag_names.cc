#include "common/flag_names.h"

namespace mk {

std::vector<std::string> DashedFlagsToAbsl(int argc, char** argv) {
  std::vector<std::string> out;
  bool rest = false;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (i == 0 || rest || a.size() < 2 || a[0] != '-') {
      out.push_back(std::move(a));
      continue;
    }
    if (a == "--") {
      rest = true;
      out.push_back(std::move(a));
      continue;
    }
    size_t start = a[1] == '-' ? 2 : 1;
    size_t end = a.find('=');
    if (end == std::string::npos) end = a.size();
    for (size_t j = start; j < end; ++j) {
      if (a[j] == '-') a[j] = '_';
    }
    out.push_back(std::move(a));
  }
  return out;
}

NormalizedArgs::NormalizedArgs(int argc, char** argv) : args_(DashedFlagsToAbsl(argc, argv)) {
  for (std::string& a : args_) ptrs_.push_back(a.data());
  ptrs_.push_back(nullptr);
}

}  // namespace mk
