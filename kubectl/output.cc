#include "kubectl/output.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/object.h"
#include "common/printers.h"
#include "common/yaml_printer.h"
#include "kubectl/jsonpath.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

std::vector<std::pair<std::string, std::string>> CustomColumns(const std::string& spec) {
  std::vector<std::pair<std::string, std::string>> cols;
  for (absl::string_view c : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    std::pair<std::string, std::string> p = absl::StrSplit(c, absl::MaxSplits(':', 1));
    std::string path = p.second;
    if (!path.empty() && path[0] != '{') path = "{" + path + "}";
    cols.push_back({p.first, path});
  }
  return cols;
}

}  // namespace

bool IsTableFormat(const std::string& f) { return f.empty() || f == "wide"; }

absl::Status CheckFormat(const std::string& f) {
  if (f.empty() || f == "wide" || f == "yaml" || f == "json" || f == "name" ||
      absl::StartsWith(f, "jsonpath=") || absl::StartsWith(f, "jsonpath-as-json=") ||
      absl::StartsWith(f, "custom-columns=") || f == "jsonpath") {
    if (f == "jsonpath")
      return absl::InvalidArgumentError("template format specified but no template given");
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unable to match a printer suitable for the output format \"", f,
      "\", allowed formats are: custom-columns,json,jsonpath,jsonpath-as-json,name,wide,yaml"));
}

std::vector<std::string> TableHeader(const ResourceInfo& r, const PrintOptions& o) {
  std::vector<std::string> h;
  if (absl::StartsWith(o.format, "custom-columns=")) {
    for (auto& [name, path] : CustomColumns(o.format.substr(15))) h.push_back(name);
    return h;
  }
  if (o.all_namespaces && r.namespaced) h.push_back("NAMESPACE");
  for (const Column& c : ColumnsFor(r)) {
    if (c.priority == 0 || o.format == "wide") h.push_back(absl::AsciiStrToUpper(c.name));
  }
  if (o.show_labels) h.push_back("LABELS");
  return h;
}

std::vector<std::string> TableRow(const ResourceInfo& r, const Json& obj, const PrintOptions& o) {
  std::vector<std::string> row;
  if (absl::StartsWith(o.format, "custom-columns=")) {
    for (auto& [name, path] : CustomColumns(o.format.substr(15))) {
      auto v = ExecuteJsonPath(path, obj);
      std::string cell = v.ok() ? *v : "";
      row.push_back(cell.empty() ? "<none>" : cell);
    }
    return row;
  }
  auto msg = DecodeObject(r, obj);
  std::vector<std::string> cells = RowFor(*msg, o.now);
  const auto& cols = ColumnsFor(r);
  if (o.all_namespaces && r.namespaced) row.push_back(JNamespace(obj));
  for (size_t i = 0; i < cols.size() && i < cells.size(); ++i) {
    if (cols[i].priority != 0 && o.format != "wide") continue;
    std::string cell = cells[i];
    if (o.with_kind && cols[i].format == "name" && cols[i].priority == 0) {
      cell = absl::StrCat(KindName(r), "/", cell);
    }
    row.push_back(cell);
  }
  if (o.show_labels) {
    const auto* meta = &Meta(*msg);
    row.push_back(FormatLabels(meta->labels()));
  }
  return row;
}

Json WithTypeMeta(const ResourceInfo& r, Json obj) {
  if (!obj.is_object()) return obj;
  if (obj.contains("apiVersion") && obj.contains("kind")) return obj;
  Json out = Json::object();
  out["apiVersion"] = r.ApiVersion();
  out["kind"] = r.kind;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (it.key() != "apiVersion" && it.key() != "kind") out[it.key()] = it.value();
  }
  return out;
}

Json AsList(std::vector<Json> items) {
  Json list = Json::object();
  list["apiVersion"] = "v1";
  list["items"] = Json::array();
  for (Json& i : items) list["items"].push_back(std::move(i));
  list["kind"] = "List";
  list["metadata"] = {{"resourceVersion", ""}};
  return list;
}

std::string NameLine(const ResourceInfo& r, const Json& obj) {
  return absl::StrCat(KindName(r), "/", JName(obj));
}

absl::Status PrintStructured(std::ostream& out, const std::string& f, const Json& obj) {
  if (f == "yaml") {
    out << ToYaml(obj);
  } else if (f == "json") {
    out << Sorted(obj).dump(4) << "\n";
  } else if (absl::StartsWith(f, "jsonpath=") || absl::StartsWith(f, "jsonpath-as-json=")) {
    std::string tmpl = f.substr(f.find('=') + 1);
    auto s = ExecuteJsonPath(tmpl, obj);
    if (!s.ok()) return s.status();
    out << *s;
  } else {
    return CheckFormat(f);
  }
  return absl::OkStatus();
}

}  // namespace mk::kubectl
