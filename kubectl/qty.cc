#include "kubectl/qty.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace mk::kubectl {
namespace {

struct Suffix {
  const char* s;
  long double mult;
  Qty::Format format;
};

const Suffix kSuffixes[] = {
    {"Ki", 1024.0L, Qty::kBinarySI},
    {"Mi", 1024.0L * 1024, Qty::kBinarySI},
    {"Gi", 1024.0L * 1024 * 1024, Qty::kBinarySI},
    {"Ti", 1024.0L * 1024 * 1024 * 1024, Qty::kBinarySI},
    {"Pi", 1024.0L * 1024 * 1024 * 1024 * 1024, Qty::kBinarySI},
    {"Ei", 1024.0L * 1024 * 1024 * 1024 * 1024 * 1024, Qty::kBinarySI},
    {"n", 1e-9L, Qty::kDecimalSI},
    {"u", 1e-6L, Qty::kDecimalSI},
    {"m", 1e-3L, Qty::kDecimalSI},
    {"k", 1e3L, Qty::kDecimalSI},
    {"M", 1e6L, Qty::kDecimalSI},
    {"G", 1e9L, Qty::kDecimalSI},
    {"T", 1e12L, Qty::kDecimalSI},
    {"P", 1e15L, Qty::kDecimalSI},
    {"E", 1e18L, Qty::kDecimalSI},
};

bool IsInt(long double v) {
  return std::fabs(v - std::round(v)) < 1e-9L * std::max(1.0L, std::fabs(v));
}

}  // namespace

bool ParseQty(const std::string& s, Qty* out) {
  if (s.empty()) return false;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  size_t digits_start = i;
  while (i < s.size() && (isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == digits_start) return false;
  std::string num = s.substr(0, i);
  std::string suffix = s.substr(i);
  char* end = nullptr;
  long double v = std::strtold(num.c_str(), &end);
  if (end == nullptr || *end != '\0') return false;
  Qty q;
  q.set = true;
  if (suffix.empty()) {
    q.value = v;
  } else if (suffix[0] == 'e' || suffix[0] == 'E') {
    char* e2 = nullptr;
    long exp = std::strtol(suffix.c_str() + 1, &e2, 10);
    if (e2 == nullptr || *e2 != '\0' || suffix.size() < 2) return false;
    q.value = v * std::pow(10.0L, exp);
    q.format = Qty::kDecimalExponent;
  } else {
    bool found = false;
    for (const Suffix& sf : kSuffixes) {
      if (suffix == sf.s) {
        q.value = v * sf.mult;
        q.format = sf.format;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  *out = q;
  return true;
}

void AddQty(Qty* a, const Qty& b) {
  if (!a->set && b.set) {
    a->format = b.format;
    a->set = true;
  }
  a->value += b.value;
}

long double MilliValue(const Qty& q) { return std::ceil(q.value * 1000 - 1e-6L); }

std::string FormatQty(const Qty& q) {
  long double v = q.value;
  if (std::fabs(v) < 1e-12L) return "0";
  if (q.format == Qty::kBinarySI && IsInt(v) && std::fabs(v) >= 1024) {
    static const char* kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int k = 0;
    long double m = std::round(v);
    while (k < 6 && IsInt(m / 1024) && std::fabs(m) >= 1024) {
      m /= 1024;
      ++k;
    }
    return absl::StrCat(static_cast<int64_t>(std::llround(m)), kBin[k]);
  }
  // Decimal: largest exponent (multiple of 3) keeping an integral mantissa; fractions go
  // to m, u, n (rounded up to n).
  static const char* kDec[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  long double nano = std::ceil(v * 1e9L - 1e-3L);
  int k = 0;
  while (k < 9 && std::fmod(nano, 1000.0L) == 0 && nano != 0) {
    nano /= 1000;
    ++k;
  }
  std::string suffix = kDec[k];
  if (q.format == Qty::kDecimalExponent && k >= 3) {
    suffix = k == 3 ? "" : absl::StrCat("e", (k - 3) * 3);
  }
  return absl::StrCat(static_cast<int64_t>(std::llround(nano)), suffix);
}

}  // namespace mk::kubectl
