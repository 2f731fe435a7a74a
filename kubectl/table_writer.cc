#include "kubectl/table_writer.h"

#include <algorithm>

namespace mk::kubectl {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

void TableWriter::Flush(std::ostream& out) {
  constexpr size_t kMinWidth = 6, kPadding = 3;
  for (const auto& row : pending_) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      if (widths_.size() <= i) widths_.resize(i + 1, kMinWidth);
      widths_[i] = std::max(widths_[i], DisplayWidth(row[i]) + kPadding);
    }
  }
  for (const auto& row : pending_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths_[i] - DisplayWidth(row[i]), ' ');
    }
    out << line << "\n";
  }
  pending_.clear();
  out.flush();
}

}  // namespace mk::kubectl
