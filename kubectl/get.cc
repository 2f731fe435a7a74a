// mkctl get: tables, -o formats, selectors, -A, and -w/--watch.

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/api_error.h"
#include "common/yaml_printer.h"
#include "kubectl/commands.h"
#include "kubectl/output.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

struct Fetched {
  const ResourceInfo* resource;
  std::vector<Json> objects;
  std::string resource_version;  // of the list, for -w
};

PrintOptions Options(Env& env, bool with_kind) {
  PrintOptions o;
  o.format = env.args.Get("output");
  o.no_headers = env.args.GetBool("no-headers");
  o.show_labels = env.args.GetBool("show-labels");
  o.all_namespaces = env.all_namespaces;
  o.with_kind = with_kind;
  o.now = env.now;
  return o;
}

std::string ListNamespace(Env& env) { return env.all_namespaces ? "" : env.ns; }

Query Selectors(Env& env) {
  return {{"labelSelector", env.args.Get("selector")},
          {"fieldSelector", env.args.Get("field-selector")}};
}

std::string EmptyMessage(Env& env, const std::vector<TypeArg>& types) {
  bool namespaced = false;
  for (const TypeArg& t : types) namespaced |= t.resource->namespaced;
  if (env.all_namespaces || !namespaced) return "No resources found";
  return absl::StrCat("No resources found in ", env.ns, " namespace.");
}

int Watch(Env& env, const TypeArg& t, const PrintOptions& o) {
  const ResourceInfo& r = *t.resource;
  TableWriter table;
  bool watch_only = env.args.GetBool("watch-only");
  bool header_printed = false;
  std::string rv;
  auto print_obj = [&](const Json& obj) {
    if (IsTableFormat(o.format) || absl::StartsWith(o.format, "custom-columns=")) {
      if (!header_printed && !o.no_headers) table.AddRow(TableHeader(r, o));
      header_printed = true;
      table.AddRow(TableRow(r, obj, o));
      table.Flush(*env.out);
    } else if (o.format == "name") {
      *env.out << NameLine(r, obj) << "\n";
    } else {
      if (o.format == "yaml" && header_printed) *env.out << "---\n";
      header_printed = true;
      (void)PrintStructured(*env.out, o.format, WithTypeMeta(r, obj));
      env.out->flush();
    }
  };
  Query q = Selectors(env);
  if (!t.names.empty()) {
    q.push_back({"fieldSelector", absl::StrCat("metadata.name=", t.names[0])});
  }
  std::string path = ResourcePath(r, ListNamespace(env));
  if (!watch_only) {
    auto list = env.api().Get(WithQuery(path, q));
    if (!list.ok()) return Fail(env, list.status());
    rv = list->value("metadata", Json::object()).value("resourceVersion", "");
    const Json& items = (*list)["items"];
    if (items.is_array() && items.empty() && IsTableFormat(o.format)) {
      *env.err << EmptyMessage(env, {t}) << "\n";
    }
    if (items.is_array()) {
      for (const Json& item : items) print_obj(item);
    }
  }
  q.push_back({"watch", "true"});
  q.push_back({"resourceVersion", rv});
  absl::Status failed;
  absl::Status st = env.api().Watch(WithQuery(path, q), [&](const Json& ev) {
    std::string type = ev.value("type", "");
    if (type == "BOOKMARK") return true;
    if (type == "ERROR") {
      api::Status s;
      failed =
          absl::InternalError(ev.value("object", Json::object()).value("message", "watch error"));
      return false;
    }
    if (ev.contains("object")) print_obj(ev["object"]);
    return true;
  });
  if (!failed.ok()) return Fail(env, failed);
  if (!st.ok()) return Fail(env, st);
  return 0;
}

}  // namespace

void GetFlags(Args* a) {
  a->Flag("output", 'o')
      .Flag("selector", 'l')
      .Flag("field-selector")
      .Flag("chunk-size", 0, "500")
      .Flag("sort-by")
      .Bool("all-namespaces", 'A')
      .Bool("no-headers")
      .Bool("show-labels")
      .Bool("show-kind")
      .Bool("watch", 'w')
      .Bool("watch-only")
      .Bool("ignore-not-found")
      .Bool("recursive", 'R')
      .Flag("filename", 'f');
}

int RunGet(Env& env) {
  std::string format = env.args.Get("output");
  if (absl::Status st = CheckFormat(format); !st.ok()) return Fail(env, st);
  std::vector<std::string> positional = env.args.positional();
  std::vector<TypeArg> types;
  if (env.args.Has("filename")) {
    auto docs = ReadManifests(env, env.args.GetAll("filename"), env.args.GetBool("recursive"));
    if (!docs.ok()) return Fail(env, docs.status());
    for (const ManifestDoc& d : *docs) {
      auto it = std::find_if(types.begin(), types.end(),
                             [&](const TypeArg& t) { return t.resource == d.resource; });
      if (it == types.end()) {
        types.push_back({d.resource, {JName(d.obj)}});
      } else {
        it->names.push_back(JName(d.obj));
      }
    }
  } else {
    if (positional.empty()) {
      return FailMsg(env,
                     "You must specify the type of resource to get. Use \"mkctl api-resources\" "
                     "for a complete list of supported resources.");
    }
    auto parsed = ParseTypeArgs(positional);
    if (!parsed.ok()) return Fail(env, parsed.status());
    types = *parsed;
  }
  bool multi = types.size() > 1 || env.args.GetBool("show-kind");
  PrintOptions o = Options(env, multi);
  if (env.args.GetBool("watch") || env.args.GetBool("watch-only")) {
    if (types.size() != 1) return FailMsg(env, "you may only specify a single resource type");
    return Watch(env, types[0], o);
  }
  int rc = 0;
  std::vector<Fetched> fetched;
  std::vector<absl::Status> errors;
  bool single_object = types.size() == 1 && types[0].names.size() == 1;
  for (const TypeArg& t : types) {
    Fetched f{t.resource, {}, ""};
    if (t.names.empty()) {
      auto list =
          env.api().Get(WithQuery(ResourcePath(*t.resource, ListNamespace(env)), Selectors(env)));
      if (!list.ok()) {
        // `get all` skips kinds the server does not serve.
        if (types.size() > 1 && list.status().code() == absl::StatusCode::kNotFound) continue;
        errors.push_back(list.status());
        continue;
      }
      if ((*list).contains("items") && (*list)["items"].is_array()) {
        for (const Json& item : (*list)["items"]) f.objects.push_back(item);
      }
    } else {
      for (const std::string& name : t.names) {
        auto obj = env.api().Get(ResourcePath(*t.resource, env.ns, name));
        if (!obj.ok()) {
          if (obj.status().code() == absl::StatusCode::kNotFound &&
              env.args.GetBool("ignore-not-found")) {
            continue;
          }
          errors.push_back(obj.status());
          continue;
        }
        f.objects.push_back(*obj);
      }
    }
    fetched.push_back(std::move(f));
  }
  size_t total = 0;
  for (const Fetched& f : fetched) total += f.objects.size();

  if (IsTableFormat(format) || absl::StartsWith(format, "custom-columns=")) {
    bool first = true;
    for (const Fetched& f : fetched) {
      if (f.objects.empty()) continue;
      if (!first) *env.out << "\n";
      first = false;
      TableWriter table;
      if (!o.no_headers) table.AddRow(TableHeader(*f.resource, o));
      for (const Json& obj : f.objects) table.AddRow(TableRow(*f.resource, obj, o));
      table.Flush(*env.out);
    }
  } else if (format == "name") {
    for (const Fetched& f : fetched) {
      for (const Json& obj : f.objects) *env.out << NameLine(*f.resource, obj) << "\n";
    }
  } else if (total > 0 || !single_object) {
    Json doc;
    if (single_object && total == 1) {
      doc = WithTypeMeta(*fetched[0].resource, fetched[0].objects[0]);
    } else {
      std::vector<Json> items;
      for (const Fetched& f : fetched) {
        for (const Json& obj : f.objects) items.push_back(WithTypeMeta(*f.resource, obj));
      }
      doc = AsList(std::move(items));
    }
    if (absl::Status st = PrintStructured(*env.out, format, doc); !st.ok()) {
      return Fail(env, st);
    }
  }
  for (const absl::Status& e : errors) {
    PrintError(*env.err, e);
    rc = 1;
  }
  if (total == 0 && errors.empty() && IsTableFormat(format) && !env.args.Has("filename")) {
    bool named = false;
    for (const TypeArg& t : types) named |= !t.names.empty();
    if (!named) *env.err << EmptyMessage(env, types) << "\n";
  }
  return rc;
}

}  // namespace mk::kubectl
