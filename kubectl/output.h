#pragma once

// Printing objects the way `kubectl get` does: tables (with -o wide, --show-labels,
// --no-headers, -A, kind prefixes), -o yaml/json/name/jsonpath/custom-columns.

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/json.h"
#include "common/resources.h"
#include "kubectl/table_writer.h"

namespace mk::kubectl {

struct PrintOptions {
  std::string format;  // "", "wide", "yaml", "json", "name", "jsonpath=...", "custom-columns=..."
  bool no_headers = false;
  bool show_labels = false;
  bool all_namespaces = false;
  bool with_kind = false;  // NAME as "pod/x"
  absl::Time now;
};

bool IsTableFormat(const std::string& format);
// Validates -o; error text as kubectl's.
absl::Status CheckFormat(const std::string& format);

// Header cells for a resource's table.
std::vector<std::string> TableHeader(const ResourceInfo& r, const PrintOptions& o);
// Row cells for one object (JSON from the server).
std::vector<std::string> TableRow(const ResourceInfo& r, const Json& obj, const PrintOptions& o);

// Fills in apiVersion/kind when a list item lacks them.
Json WithTypeMeta(const ResourceInfo& r, Json obj);
// `kind: List` around items.
Json AsList(std::vector<Json> items);

// Prints `obj` (one object or a List) for a non-table format.
absl::Status PrintStructured(std::ostream& out, const std::string& format, const Json& obj);
// -o name line: "pod/x".
std::string NameLine(const ResourceInfo& r, const Json& obj);

}  // namespace mk::kubectl
