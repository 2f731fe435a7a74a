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

namespace mk::kubectl {
namespace {

struct TabState {
  std::vector<std::vector<std::string>> lines;
  std::vector<size_t> widths;
  size_t min_width, padding;
  std::string out;

  void Write(size_t line0, size_t line1) {
    for (size_t i = line0; i < line1; ++i) {
      const auto& line = lines[i];
      for (size_t j = 0; j < line.size(); ++j) {
        out += line[j];
        if (j < widths.size() && j + 1 < line.size()) {
          size_t w = DisplayWidth(line[j]);
          if (widths[j] > w) out.append(widths[j] - w, ' ');
        }
      }
      if (i + 1 < lines.size()) out += "\n";
    }
  }

  void Format(size_t line0, size_t line1) {
    size_t column = widths.size();
    for (size_t t = line0; t < line1; ++t) {
      if (column + 1 >= lines[t].size()) continue;  // no tab-terminated cell here
      Write(line0, t);
      line0 = t;
      size_t width = min_width;
      for (; t < line1; ++t) {
        if (column + 1 >= lines[t].size()) break;
        width = std::max(width, DisplayWidth(lines[t][column]) + padding);
      }
      widths.push_back(width);
      Format(line0, t);
      widths.pop_back();
      line0 = t;
      --t;  // the loop's ++t revisits line t, which ended the block
      if (line0 >= line1) break;
    }
    Write(line0, line1);
  }
};

}  // namespace

std::string TabFormat(const std::string& text, size_t min_width, size_t padding) {
  TabState s;
  s.min_width = min_width;
  s.padding = padding;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string line = text.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
    std::vector<std::string> cells;
    size_t cs = 0;
    while (true) {
      size_t tab = line.find('\t', cs);
      if (tab == std::string::npos) {
        cells.push_back(line.substr(cs));
        break;
      }
      cells.push_back(line.substr(cs, tab - cs));
      cs = tab + 1;
    }
    s.lines.push_back(std::move(cells));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  s.Format(0, s.lines.size());
  return s.out;
}

}  // namespace mk::kubectl
