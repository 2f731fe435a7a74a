#pragma once

// The little quantity arithmetic `describe node` needs (sums of requests/limits, percentages,
// canonical printing). Kept behind this interface so it can switch to common/quantity.h.

#include <string>

namespace mk::kubectl {

struct Qty {
  long double value = 0;  // in base units (cores, bytes)
  enum Format { kDecimalSI, kBinarySI, kDecimalExponent } format = kDecimalSI;
  bool set = false;  // a format was taken from a parsed value
};

// Parses "50m", "0.5", "300Mi", "1Gi", "1e3", "2037260Ki"; false if malformed.
bool ParseQty(const std::string& s, Qty* out);
// Adds b to a (a keeps its format unless it has none yet).
void AddQty(Qty* a, const Qty& b);
// Canonical form as Kubernetes prints it: "0", "100m", "4", "170Mi", "1Gi", "300M".
std::string FormatQty(const Qty& q);
// MilliValue() / Value() as kubectl uses them for percentages.
long double MilliValue(const Qty& q);

}  // namespace mk::kubectl
