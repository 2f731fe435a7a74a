#include "common/quantity.h"

#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mk {

const char kQuantityFormatError[] =
    "quantities must match the regular expression "
    "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

namespace {

using int128 = __int128;
constexpr int128 kNanoPerUnit = 1000000000;
constexpr int128 kMax = std::numeric_limits<int128>::max() / 10;  // headroom for printing

absl::Status FormatError() { return absl::InvalidArgumentError(kQuantityFormatError); }
absl::Status SuffixError() {
  return absl::InvalidArgumentError("unable to parse quantity's suffix");
}
absl::Status TooLarge() { return absl::InvalidArgumentError("quantity is too large"); }

struct Suffix {
  const char* text;
  int base;  // 2 or 10
  int exp;   // power of base
};

constexpr Suffix kSuffixes[] = {
    {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};

bool IsSuffixChar(char c) {
  switch (c) {
    case 'e':
    case 'E':
    case 'i':
    case 'n':
    case 'u':
    case 'm':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
      return true;
    default:
      return false;
  }
}

bool MulOverflow(int128 a, int128 b, int128* out) {
  return __builtin_mul_overflow(a, b, out) || *out > kMax;
}

int128 Pow10(int n) {
  int128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

// Divides a non-negative value, rounding up.
int128 DivCeil(int128 a, int128 b) { return a / b + (a % b != 0 ? 1 : 0); }

int64_t Saturate(int128 v) {
  if (v > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (v < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

// Rounds nano / unit away from zero.
int128 ScaleAwayFromZero(int128 nano, int128 unit) {
  if (nano >= 0) return DivCeil(nano, unit);
  return -DivCeil(-nano, unit);
}

std::string Int128ToString(int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  if (neg) v = -v;
  std::string out;
  while (v > 0) {
    out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return neg ? "-" + out : out;
}

}  // namespace

Quantity Quantity::FromNano(int64_t nano, Format f) {
  Quantity q;
  q.nano_ = nano;
  q.format_ = f;
  return q;
}

Quantity Quantity::FromMilli(int64_t milli, Format f) {
  Quantity q;
  q.nano_ = static_cast<int128>(milli) * 1000000;
  q.format_ = f;
  return q;
}

Quantity Quantity::FromValue(int64_t value, Format f) {
  Quantity q;
  q.nano_ = static_cast<int128>(value) * kNanoPerUnit;
  q.format_ = f;
  return q;
}

int64_t Quantity::MilliValue() const { return Saturate(ScaleAwayFromZero(nano_, 1000000)); }
int64_t Quantity::Value() const { return Saturate(ScaleAwayFromZero(nano_, kNanoPerUnit)); }
int64_t Quantity::NanoValue() const { return Saturate(nano_); }
double Quantity::AsApproximateFloat64() const { return static_cast<double>(nano_) / 1e9; }

Quantity& Quantity::operator+=(const Quantity& o) {
  if (nano_ == 0) format_ = o.format_;
  nano_ += o.nano_;
  return *this;
}

Quantity& Quantity::operator-=(const Quantity& o) {
  if (nano_ == 0) format_ = o.format_;
  nano_ -= o.nano_;
  return *this;
}

Quantity Quantity::operator-() const {
  Quantity q = *this;
  q.nano_ = -q.nano_;
  return q;
}

absl::StatusOr<Quantity> ParseQuantity(absl::string_view s) {
  if (s.empty()) return FormatError();
  size_t pos = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++pos;
  }
  // Number: digits [ '.' digits ].
  size_t int_start = pos;
  while (pos < s.size() && absl::ascii_isdigit(s[pos])) ++pos;
  absl::string_view int_part = s.substr(int_start, pos - int_start);
  absl::string_view frac_part;
  if (pos < s.size() && s[pos] == '.') {
    size_t frac_start = ++pos;
    while (pos < s.size() && absl::ascii_isdigit(s[pos])) ++pos;
    frac_part = s.substr(frac_start, pos - frac_start);
  }
  if (int_part.empty() && frac_part.empty()) return FormatError();
  // Suffix: [eEinumkKMGTP]* [+-]? [0-9]* then the end.
  size_t suffix_start = pos;
  while (pos < s.size() && IsSuffixChar(s[pos])) ++pos;
  if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) ++pos;
  while (pos < s.size() && absl::ascii_isdigit(s[pos])) ++pos;
  if (pos != s.size()) return FormatError();
  absl::string_view suffix = s.substr(suffix_start);

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
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return SuffixError();
    int e;
    if (!absl::SimpleAtoi(suffix.substr(1), &e)) return SuffixError();
    if (e > 40) return TooLarge();
    if (e < -60) e = -60;  // only rounding up to 1n can result
    exp = e;
    format = Quantity::Format::kDecimalExponent;
  }

  // Significant digits: strip leading zeros of the integer part and trailing zeros of the
  // fraction; keep as many digits as fit below kMax (38: every nano count, which is what
  // the "n" suffix prints). An integer part beyond that is too large; fraction digits
  // beyond it only round up (they are finer than 1n whenever the result is in range).
  while (!int_part.empty() && int_part[0] == '0') int_part.remove_prefix(1);
  while (!frac_part.empty() && frac_part.back() == '0') frac_part.remove_suffix(1);
  if (int_part.size() > 38) return TooLarge();
  auto append_digit = [](int128* m, char c) {
    int128 next;
    if (MulOverflow(*m, 10, &next) || next > kMax - (c - '0')) return false;
    *m = next + (c - '0');
    return true;
  };
  int128 mantissa = 0;
  int frac_digits = 0;
  bool sticky = false;
  bool full = false;
  for (char c : int_part) {
    if (!append_digit(&mantissa, c)) return TooLarge();
  }
  for (char c : frac_part) {
    if (full || !append_digit(&mantissa, c)) {
      full = true;
      if (c != '0') sticky = true;
      continue;
    }
    ++frac_digits;
  }
  // nano = mantissa * base^exp * 10^(9 - frac_digits).
  int128 v = mantissa;
  if (base == 2) {
    if (MulOverflow(v, static_cast<int128>(1) << exp, &v)) return TooLarge();
  }
  int scale10 = 9 - frac_digits + (base == 10 ? exp : 0);
  if (scale10 >= 0) {
    if (scale10 > 38) {
      if (v != 0) return TooLarge();
    } else if (MulOverflow(v, Pow10(scale10), &v)) {
      return TooLarge();
    }
  } else if (-scale10 > 38) {
    if (v != 0) sticky = true;
    v = 0;
  } else {
    int128 d = Pow10(-scale10);
    if (v % d != 0) sticky = true;
    v /= d;
  }
  if (sticky) ++v;  // round up (away from zero) to a whole nano-unit
  Quantity q;
  q.nano_ = negative ? -v : v;
  // Binary quantities below one unit print as decimals (as Kubernetes).
  if (format == Quantity::Format::kBinarySI && v < kNanoPerUnit) {
    format = Quantity::Format::kDecimalSI;
  }
  q.format_ = format;
  return q;
}

Quantity MustParseQuantity(absl::string_view s) {
  absl::StatusOr<Quantity> q = ParseQuantity(s);
  return q.ok() ? *q : Quantity();
}

std::string Quantity::CanonicalString() const {
  if (nano_ == 0) return "0";
  bool neg = nano_ < 0;
  int128 m = neg ? -nano_ : nano_;
  std::string sign = neg ? "-" : "";
  Format f = format_;
  if (f == Format::kBinarySI && (m < 1024 * kNanoPerUnit || m % kNanoPerUnit != 0)) {
    f = Format::kDecimalSI;
  }
  if (f == Format::kBinarySI) {
    static constexpr const char* kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    int128 u = m / kNanoPerUnit;
    int idx = 0;
    while (idx < 6 && u % 1024 == 0) {
      u /= 1024;
      ++idx;
    }
    return absl::StrCat(sign, Int128ToString(u), kBin[idx]);
  }
  // Decimal: mantissa × 10^exponent with the exponent a multiple of 3.
  int exponent = -9;
  while (m % 10 == 0) {
    m /= 10;
    ++exponent;
  }
  switch (((exponent % 3) + 3) % 3) {
    case 1:
      m *= 10;
      exponent -= 1;
      break;
    case 2:
      m *= 100;
      exponent -= 2;
      break;
    default:
      break;
  }
  if (f == Format::kDecimalExponent) {
    return absl::StrCat(sign, Int128ToString(m), exponent == 0 ? "" : absl::StrCat("e", exponent));
  }
  while (exponent > 18) {
    m *= 1000;
    exponent -= 3;
  }
  const char* sfx = "";
  switch (exponent) {
    case -9:
      sfx = "n";
      break;
    case -6:
      sfx = "u";
      break;
    case -3:
      sfx = "m";
      break;
    case 3:
      sfx = "k";
      break;
    case 6:
      sfx = "M";
      break;
    case 9:
      sfx = "G";
      break;
    case 12:
      sfx = "T";
      break;
    case 15:
      sfx = "P";
      break;
    case 18:
      sfx = "E";
      break;
    default:
      break;
  }
  return absl::StrCat(sign, Int128ToString(m), sfx);
}

std::string FormatCpuMilli(int64_t milli) {
  return Quantity::FromMilli(milli, Quantity::Format::kDecimalSI).CanonicalString();
}

std::string FormatMemoryBytes(int64_t bytes) {
  return Quantity::FromValue(bytes, Quantity::Format::kBinarySI).CanonicalString();
}

int64_t PercentOf(const Quantity& part, const Quantity& total) {
  if (total.IsZero()) return 0;
  return static_cast<int64_t>(static_cast<double>(part.MilliValue()) /
                              static_cast<double>(total.MilliValue()) * 100);
}

}  // namespace mk
