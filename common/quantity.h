#pragma once

// Kubernetes resource quantities ("50m", "0.5", "300Mi", "1Gi", "1e3", "2k"), as
// k8s.io/apimachinery/pkg/api/resource.Quantity: parsed into an exact count of nano-units
// (a 128-bit integer, so "1Ei" bytes and "1n" cpu are both exact), compared, added and
// printed in Kubernetes' canonical form.
//
// Parsing follows Kubernetes: suffixes n u m "" k M G T P E (decimal, lowercase `k`; `K` is
// rejected), Ki Mi Gi Ti Pi Ei (binary), or a decimal exponent e3 / E-2 ("1E" alone is exa).
// Values finer than 1n are rounded up (away from zero) to a whole nano-unit.
//
// The format (from the suffix) drives printing, as in Kubernetes:
//   "0.5" → "500m", "1000m" → "1", "1024Mi" → "1Gi", "1.5Gi" → "1536Mi", "1e3" → "1e3",
//   "1500000" → "1500k", "300Mi" → "300Mi", "0.5Ki" → "512".

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mk {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };
  Quantity() = default;
  static Quantity FromMilli(int64_t milli, Format f = Format::kDecimalSI);
  // Whole units: FromValue(2) is "2", FromValue(1 << 30, kBinarySI) is "1Gi".
  static Quantity FromValue(int64_t value, Format f = Format::kDecimalSI);
  static Quantity FromNano(int64_t nano, Format f = Format::kDecimalSI);

  // Milli-units, rounded up away from zero (as Kubernetes' MilliValue()); saturates at
  // the int64 range.
  int64_t MilliValue() const;
  // Whole units, rounded up away from zero (as Kubernetes' Value()); saturates.
  int64_t Value() const;
  // Nano-units (exact unless beyond the int64 range, where it saturates).
  int64_t NanoValue() const;
  double AsApproximateFloat64() const;

  bool IsNegative() const { return nano_ < 0; }
  bool IsZero() const { return nano_ == 0; }
  Format format() const { return format_; }

  // Canonical form as Kubernetes prints it (Quantity.String()): "500m", "1", "300Mi",
  // "1Gi", "1e3", "1500m", "-2". Zero is "0".
  std::string CanonicalString() const;
  std::string ToString() const { return CanonicalString(); }

  // -1, 0 or 1.
  int Cmp(const Quantity& o) const { return nano_ < o.nano_ ? -1 : (nano_ > o.nano_ ? 1 : 0); }
  friend bool operator<(const Quantity& a, const Quantity& b) { return a.nano_ < b.nano_; }
  friend bool operator<=(const Quantity& a, const Quantity& b) { return a.nano_ <= b.nano_; }
  friend bool operator>(const Quantity& a, const Quantity& b) { return a.nano_ > b.nano_; }
  friend bool operator>=(const Quantity& a, const Quantity& b) { return a.nano_ >= b.nano_; }
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.nano_ == b.nano_; }
  friend bool operator!=(const Quantity& a, const Quantity& b) { return a.nano_ != b.nano_; }

  // Add/subtract keep this quantity's format, except that a zero quantity takes the other's
  // (as Kubernetes' Quantity.Add/Sub).
  Quantity& operator+=(const Quantity& o);
  Quantity& operator-=(const Quantity& o);
  friend Quantity operator+(Quantity a, const Quantity& b) { return a += b; }
  friend Quantity operator-(Quantity a, const Quantity& b) { return a -= b; }
  Quantity operator-() const;

  friend std::ostream& operator<<(std::ostream& os, const Quantity& q) {
    return os << q.CanonicalString();
  }

 private:
  friend absl::StatusOr<Quantity> ParseQuantity(absl::string_view s);
  __int128 nano_ = 0;
  Format format_ = Format::kDecimalSI;
};

// The message for input not matching Kubernetes' quantity grammar:
// "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".
extern const char kQuantityFormatError[];

// InvalidArgument with Kubernetes' messages: kQuantityFormatError for bad syntax ("5 Mi",
// "1.2.3", "", "Mi", "1Gb"), "unable to parse quantity's suffix" for a bad suffix ("1K",
// "1e"), "quantity is too large" beyond ±1.7e29 units.
absl::StatusOr<Quantity> ParseQuantity(absl::string_view s);
// Convenience for trusted input: a zero quantity on error.
Quantity MustParseQuantity(absl::string_view s);

// Printing for describe / top.
// CPU from milli-cores: 100 → "100m", 2000 → "2", 1500 → "1500m", 0 → "0".
std::string FormatCpuMilli(int64_t milli);
// Memory from bytes, as Kubernetes prints a BinarySI quantity: 1Gi → "1Gi", 300Mi → "300Mi",
// 1536 → "1536" (binary suffix only when exact), below 1024 as decimal: 999 → "999",
// 1000 → "1k"; 0 → "0".
std::string FormatMemoryBytes(int64_t bytes);
// `part` as a whole percentage of `total` (truncated, as kubectl describe node); 0 if total
// is zero.
int64_t PercentOf(const Quantity& part, const Quantity& total);

}  // namespace mk
