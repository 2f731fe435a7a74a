// Quantities: ParseQuantity → CanonicalString → ParseQuantity must give an equal quantity,
// and printing reaches a fixed point after at most one format change. The accessors and
// arithmetic run on every parsed value under UBSan.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/string_view.h"
#include "common/quantity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = mk::ParseQuantity(text);
  if (!q.ok()) return 0;
  std::string printed = q->CanonicalString();
  auto again = mk::ParseQuantity(printed);
  if (!again.ok()) {
    std::cerr << "\"" << text << "\" prints as \"" << printed
              << "\" which does not parse: " << again.status() << "\n";
    abort();
  }
  if (*again != *q) {
    std::cerr << "\"" << text << "\" prints as \"" << printed << "\" which parses to "
              << again->CanonicalString() << " (a different value)\n";
    abort();
  }
  // Printing may change the format once, as in Kubernetes ("62.5Ki" prints as "64000",
  // which parses as a decimal and prints as "64k"); after that it is a fixed point.
  std::string second = again->CanonicalString();
  auto third = mk::ParseQuantity(second);
  if (!third.ok() || *third != *q || third->CanonicalString() != second) {
    std::cerr << "\"" << text << "\" prints as \"" << printed << "\" then as \"" << second
              << "\" then as \"" << (third.ok() ? third->CanonicalString() : "(error)") << "\"\n";
    abort();
  }
  // Accessors and arithmetic must not overflow (UBSan aborts on signed overflow).
  (void)q->MilliValue();
  (void)q->Value();
  (void)q->NanoValue();
  (void)q->AsApproximateFloat64();
  mk::Quantity neg = -*q;
  mk::Quantity zero = *q + neg;
  if (!zero.IsZero()) {
    std::cerr << "\"" << text << "\" + its negation is " << zero << "\n";
    abort();
  }
  (void)mk::PercentOf(*q, mk::MustParseQuantity("3"));
  (void)mk::FormatCpuMilli(q->MilliValue());
  (void)mk::FormatMemoryBytes(q->Value());
  return 0;
}
