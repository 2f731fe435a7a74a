#pragma once

// Kubernetes resource quantities ("50m", "0.5", "300Mi", "1Gi", "1e3", "2k"): parsed into an
// exact count of milli-units (enough for CPU and memory at mk's scale), compared, added,
// and printed in canonical form.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mk {

class Quantity {
 public:
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };
  Quantity() = default;
  static Quantity FromMilli(int64_t milli, Format f = Format::kDecimalSI);

  int64_t MilliValue() const { return milli_; }
  // Whole units, rounded up (as Kubernetes' Value()).
  int64_t Value() const;
  bool IsNegative() const { return milli_ < 0; }
  bool IsZero() const { return milli_ == 0; }
  Format format() const { return format_; }

  // Canonical form: "500m", "1", "300Mi", "1Gi", "1k", "1500m".
  std::string ToString() const;

  friend bool operator<(const Quantity& a, const Quantity& b) { return a.milli_ < b.milli_; }
  friend bool operator<=(const Quantity& a, const Quantity& b) { return a.milli_ <= b.milli_; }
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.milli_ == b.milli_; }
  Quantity& operator+=(const Quantity& o) {
    milli_ += o.milli_;
    return *this;
  }
  Quantity& operator-=(const Quantity& o) {
    milli_ -= o.milli_;
    return *this;
  }

 private:
  int64_t milli_ = 0;
  Format format_ = Format::kDecimalSI;
};

// InvalidArgument "quantities must match the regular expression
// '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" for bad input.
absl::StatusOr<Quantity> ParseQuantity(absl::string_view s);

}  // namespace mk
