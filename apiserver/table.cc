#include "apiserver/table.h"

#include "absl/strings/str_cat.h"
#include "common/json_codec.h"
#include "common/object.h"
#include "common/printers.h"

namespace mk::apiserver {

Json TableFor(const ResourceInfo& r, const std::vector<ObjectPtr>& objects,
              int64_t resource_version) {
  Json cols = Json::array();
  for (const Column& c : ColumnsFor(r)) {
    cols.push_back({{"name", c.name},
                    {"type", c.type},
                    {"format", c.format},
                    {"description", c.description},
                    {"priority", c.priority}});
  }
  absl::Time now = absl::Now();
  Json rows = Json::array();
  for (const ObjectPtr& obj : objects) {
    Json cells = Json::array();
    for (std::string& cell : RowFor(*obj, now)) cells.push_back(std::move(cell));
    Json meta = EncodeJson(Meta(*obj));
    rows.push_back({{"cells", std::move(cells)},
                    {"object",
                     {{"kind", "PartialObjectMetadata"},
                      {"apiVersion", "meta.k8s.io/v1"},
                      {"metadata", std::move(meta)}}}});
  }
  Json table = {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", Json::object()}};
  if (resource_version > 0) {
    table["metadata"]["resourceVersion"] = absl::StrCat(resource_version);
  }
  table["columnDefinitions"] = std::move(cols);
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace mk::apiserver
