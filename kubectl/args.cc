#include "kubectl/args.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mk::kubectl {

bool ParseBool(absl::string_view s, bool* out) {
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") {
    *out = true;
    return true;
  }
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") {
    *out = false;
    return true;
  }
  return false;
}

Args& Args::Flag(const std::string& name, char shorthand, const std::string& def) {
  specs_.push_back({name, shorthand, false, def, ""});
  return *this;
}

Args& Args::Bool(const std::string& name, char shorthand, bool def) {
  specs_.push_back({name, shorthand, true, def ? "true" : "false", "true"});
  return *this;
}

Args& Args::Optional(const std::string& name, const std::string& def, const std::string& no_value) {
  specs_.push_back({name, 0, true, def, no_value});
  return *this;
}

const FlagSpec* Args::Find(absl::string_view name) const {
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) {
    if (it->name == name) return &*it;
  }
  return nullptr;
}

const FlagSpec* Args::FindShort(char c) const {
  for (auto it = specs_.rbegin(); it != specs_.rend(); ++it) {
    if (it->shorthand == c) return &*it;
  }
  return nullptr;
}

absl::Status Args::Parse(const std::vector<std::string>& argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      dash_index_ = static_cast<int>(positional_.size());
      for (size_t k = i + 1; k < argv.size(); ++k) positional_.push_back(argv[k]);
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      positional_.push_back(a);
      continue;
    }
    if (a[1] == '-') {
      std::string name = a.substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      const FlagSpec* f = Find(name);
      if (f == nullptr) return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", name));
      if (f->is_bool) {
        if (!has_value) value = f->no_value;
        bool b;
        if (f->no_value == "true" && !ParseBool(value, &b)) {
          return absl::InvalidArgumentError(absl::StrCat("invalid argument \"", value,
                                                         "\" for \"--", name,
                                                         "\" flag: strconv.ParseBool: "
                                                         "parsing \"",
                                                         value, "\": invalid syntax"));
        }
      } else if (!has_value) {
        if (i + 1 >= argv.size()) {
          return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: --", name));
        }
        value = argv[++i];
      }
      values_[f->name].push_back(value);
      continue;
    }
    // Shorthand(s).
    for (size_t k = 1; k < a.size(); ++k) {
      char c = a[k];
      const FlagSpec* f = FindShort(c);
      if (f == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown shorthand flag: '", std::string(1, c), "' in ", a));
      }
      if (f->is_bool) {
        std::string value = f->no_value;
        if (k + 1 < a.size() && a[k + 1] == '=') {
          value = a.substr(k + 2);
          k = a.size();
        }
        values_[f->name].push_back(value);
        continue;
      }
      std::string value;
      if (k + 1 < a.size()) {
        value = a.substr(k + 1);
        if (!value.empty() && value[0] == '=') value = value.substr(1);
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag needs an argument: '", std::string(1, c), "' in -", std::string(1, c)));
      }
      values_[f->name].push_back(value);
      break;
    }
  }
  return absl::OkStatus();
}

bool Args::Has(const std::string& name) const { return values_.count(name) > 0; }

std::string Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end() && !it->second.empty()) return it->second.back();
  const FlagSpec* f = Find(name);
  return f == nullptr ? "" : f->default_value;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

bool Args::GetBool(const std::string& name) const {
  bool b = false;
  ParseBool(Get(name), &b);
  return b;
}

bool Args::GetInt(const std::string& name, int64_t* out) const {
  return absl::SimpleAtoi(Get(name), out);
}

}  // namespace mk::kubectl
