#pragma once

// A small kubectl-style (pflag) command-line parser: `--flag=v`, `--flag v`, `-n v`, `-nv`,
// `-n=v`, bool flags (`--watch`, `--watch=false`, `-w`, combined `-Aw`), repeated flags and
// positional arguments; `--` ends the flags. Unknown flags are errors
// (`unknown flag: --x`, `unknown shorthand flag: 'x' in -x`).

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mk::kubectl {

struct FlagSpec {
  std::string name;
  char shorthand = 0;
  bool is_bool = false;
  std::string default_value;
  // For bool flags given without "=value" (e.g. `--cascade` means "background").
  std::string no_value;
};

class Args {
 public:
  Args& Flag(const std::string& name, char shorthand = 0, const std::string& def = "");
  Args& Bool(const std::string& name, char shorthand = 0, bool def = false);
  // A value flag that may also be given bare (`--cascade` → no_value).
  Args& Optional(const std::string& name, const std::string& def, const std::string& no_value);

  absl::Status Parse(const std::vector<std::string>& argv);

  // Was the flag given on the command line?
  bool Has(const std::string& name) const;
  // The last value given, else the default.
  std::string Get(const std::string& name) const;
  // Every value given, in order (repeated flags; comma lists are not split).
  std::vector<std::string> GetAll(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  // Integer value; false if not an integer.
  bool GetInt(const std::string& name, int64_t* out) const;

  const std::vector<std::string>& positional() const { return positional_; }
  // Whether `--` appeared, and the positional index it appeared at.
  int dash_index() const { return dash_index_; }

 private:
  const FlagSpec* Find(absl::string_view name) const;
  const FlagSpec* FindShort(char c) const;

  std::vector<FlagSpec> specs_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positional_;
  int dash_index_ = -1;
};

// Parses a bool flag value as pflag does (1, t, T, TRUE, true, True, 0, f, ...).
bool ParseBool(absl::string_view s, bool* out);

}  // namespace mk::kubectl
