#pragma once

// Column alignment like Go's text/tabwriter as kubectl configures it (min width 6, padding
// 3, widths remembered across flushes so watch rows line up with the header).

#include <ostream>
#include <string>
#include <vector>

namespace mk::kubectl {

class TableWriter {
 public:
  void AddRow(std::vector<std::string> cells) { pending_.push_back(std::move(cells)); }
  // Writes the pending rows, aligned with every row seen so far.
  void Flush(std::ostream& out);

 private:
  std::vector<std::vector<std::string>> pending_;
  std::vector<size_t> widths_;
};

// Display width of UTF-8 text (code points).
size_t DisplayWidth(const std::string& s);

}  // namespace mk::kubectl

namespace mk::kubectl {

// Go's text/tabwriter over a whole text (cells terminated by '\t', column blocks of
// consecutive lines), as `kubectl describe` uses it (minwidth 0, padding 2).
std::string TabFormat(const std::string& text, size_t min_width = 0, size_t padding = 2);

}  // namespace mk::kubectl
