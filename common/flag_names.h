#pragma once

// Kubernetes components spell flags with dashes (--data-dir); Abseil flags are identifiers
// (data_dir). DashedFlagsToAbsl rewrites argv in place so both spellings work.

#include <string>
#include <vector>

namespace mk {

// Returns argv with every "--some-flag[=v]" / "-some-flag[=v]" name turned into
// "--some_flag[=v]"; values and positional arguments are untouched, and so is everything
// after a bare "--".
std::vector<std::string> DashedFlagsToAbsl(int argc, char** argv);

// Keeps the storage of DashedFlagsToAbsl's result alive and exposes it as argc/argv.
class NormalizedArgs {
 public:
  NormalizedArgs(int argc, char** argv);
  int argc() const { return static_cast<int>(ptrs_.size()) - 1; }
  char** argv() { return ptrs_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

}  // namespace mk
