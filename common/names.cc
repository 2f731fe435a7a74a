#include "common/names.h"

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"

namespace mk {
namespace {

constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;

constexpr char kDns1123LabelMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr char kDns1123SubdomainMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr char kQualifiedNameMsg[] =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr char kLabelValueMsg[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

std::string MaxLenError(size_t n) {
  return absl::StrCat("must be no more than ", n, " characters");
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesLabelRegex(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-')) return false;
  }
  return s.front() != '-' && s.back() != '-';
}

bool MatchesSubdomainRegex(absl::string_view s) {
  if (s.empty()) return false;
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (!MatchesLabelRegex(part)) return false;
  }
  return true;
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNameRegex(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return absl::ascii_isalnum(s.front()) && absl::ascii_isalnum(s.back());
}

std::string First(const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); }

}  // namespace

std::vector<std::string> Dns1123LabelErrors(absl::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kDns1123LabelMaxLength) errs.push_back(MaxLenError(kDns1123LabelMaxLength));
  if (!MatchesLabelRegex(s)) {
    if (MatchesSubdomainRegex(s)) {
      errs.push_back("must not contain dots");
    } else {
      errs.push_back(kDns1123LabelMsg);
    }
  }
  return errs;
}

std::vector<std::string> Dns1123SubdomainErrors(absl::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  }
  if (!MatchesSubdomainRegex(s)) errs.push_back(kDns1123SubdomainMsg);
  return errs;
}

std::vector<std::string> QualifiedNameErrors(absl::string_view s) {
  std::vector<std::string> errs;
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  absl::string_view name;
  if (parts.size() == 1) {
    name = parts[0];
  } else if (parts.size() == 2) {
    absl::string_view prefix = parts[0];
    name = parts[1];
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& m : Dns1123SubdomainErrors(prefix)) {
        errs.push_back("prefix part " + m);
      }
    }
  } else {
    errs.push_back(
        absl::StrCat("a qualified name ", kQualifiedNameMsg,
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
    return errs;
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNameRegex(name))
    errs.push_back(absl::StrCat("name part ", kQualifiedNameMsg));
  return errs;
}

std::vector<std::string> LabelValueErrors(absl::string_view s) {
  std::vector<std::string> errs;
  if (s.size() > kLabelValueMaxLength) errs.push_back(MaxLenError(kLabelValueMaxLength));
  if (!s.empty() && !MatchesQualifiedNameRegex(s)) errs.push_back(kLabelValueMsg);
  return errs;
}

std::string CheckDns1123Label(absl::string_view s) { return First(Dns1123LabelErrors(s)); }
std::string CheckDns1123Subdomain(absl::string_view s) { return First(Dns1123SubdomainErrors(s)); }

std::string GenerateNameSuffix() {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  static absl::Mutex mu(absl::kConstInit);
  static absl::BitGen* gen = new absl::BitGen();
  std::string out;
  absl::MutexLock l(&mu);
  for (int i = 0; i < 5; ++i) {
    out += kAlphabet[absl::Uniform<size_t>(*gen, 0, sizeof(kAlphabet) - 1)];
  }
  return out;
}

std::string GenerateName(absl::string_view base) {
  if (base.size() > 58) base = base.substr(0, 58);
  return absl::StrCat(base, GenerateNameSuffix());
}

}  // namespace mk
