#include "common/quantity.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mk {
namespace {

absl::Status Bad() {
  return absl::InvalidArgumentError(
      "quantities must match the regular expression "
      "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
}

struct Suffix {
  const char* text;
  int base;  // 2 or 10
  int exp;
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

}  // namespace

Quantity Quantity::FromMilli(int64_t milli, Format f) {
  Quantity q;
  q.milli_ = milli;
  q.format_ = f;
  return q;
}

int64_t Quantity::Value() const {
  if (milli_ >= 0) return (milli_ + 999) / 1000;
  return milli_ / 1000;
}

absl::StatusOr<Quantity> ParseQuantity(absl::string_view s) {
  if (s.empty()) return Bad();
  size_t i = 0;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    ++i;
  }
  size_t num_start = i;
  int dots = 0;
  while (i < s.size() && (absl::ascii_isdigit(s[i]) || s[i] == '.')) {
    if (s[i] == '.') ++dots;
    ++i;
  }
  absl::string_view num = s.substr(num_start, i - num_start);
  if (num.empty() || dots > 1 || num == ".") return Bad();
  absl::string_view suffix = s.substr(i);
  int base = 10, exp = 0;
  Quantity::Format format = Quantity::Format::kDecimalSI;
  bool found = false;
  for (const Suffix& sfx : kSuffixes) {
    if (suffix == sfx.text) {
      base = sfx.base;
      exp = sfx.exp;
      format = base == 2 ? Quantity::Format::kBinarySI : Quantity::Format::kDecimalSI;
      found = true;
      break;
    }
  }
  if (!found) {
    // Decimal exponent: e3, E-2.
    if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
      int e;
      if (!absl::SimpleAtoi(suffix.substr(1), &e) || e > 18 || e < -9) return Bad();
      exp = e;
      format = Quantity::Format::kDecimalExponent;
    } else {
      return Bad();
    }
  }
  // Exact milli-units: integer and fraction digits scaled.
  std::string digits;
  int frac_digits = 0;
  bool in_frac = false;
  for (char c : num) {
    if (c == '.') {
      in_frac = true;
      continue;
    }
    digits += c;
    if (in_frac) ++frac_digits;
  }
  // value = digits * 10^-frac_digits * base^exp; in milli: * 1000.
  long double v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  v /= std::pow(10.0L, frac_digits);
  v *= base == 2 ? std::pow(2.0L, exp) : std::pow(10.0L, exp);
  v *= 1000;
  if (v > 9.2e18L) return Bad();
  int64_t milli = static_cast<int64_t>(std::ceil(v - 1e-9L));
  return Quantity::FromMilli(neg ? -milli : milli, format);
}

std::string Quantity::ToString() const {
  int64_t m = milli_;
  std::string sign = m < 0 ? "-" : "";
  if (m < 0) m = -m;
  if (m == 0) return "0";
  if (m % 1000 != 0) return absl::StrCat(sign, m, "m");
  int64_t v = m / 1000;
  if (format_ == Format::kBinarySI) {
    static constexpr const char* kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int idx = 0;
    while (idx < 6 && v % 1024 == 0) {
      v /= 1024;
      ++idx;
    }
    return absl::StrCat(sign, v, kBin[idx]);
  }
  static constexpr const char* kDec[] = {"", "k", "M", "G", "T", "P", "E"};
  int idx = 0;
  while (idx < 6 && v % 1000 == 0) {
    v /= 1000;
    ++idx;
  }
  return absl::StrCat(sign, v, kDec[idx]);
}

}  // namespace mk
