// mkctl describe: dispatch per kind; replicaset, secret, serviceaccount, namespace, hpa and a
// generic fallback (pod and node live in their own files).

#include "kubectl/describe.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/object.h"
#include "common/printers.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {
namespace {

void NameNsLabels(DescribeWriter& w, const api::ObjectMeta& meta, bool ns) {
  w.W(0, "Name:\t" + meta.name() + "\n");
  if (ns) w.W(0, "Namespace:\t" + meta.namespace_() + "\n");
  LabelsMultiline(w, "Labels", SortedMap(meta.labels()));
  AnnotationsMultiline(w, "Annotations", SortedMap(meta.annotations()));
}

absl::StatusOr<std::string> DescribeReplicaSet(Env& env, const Json& obj) {
  auto msg = DecodeObject(*FindResource("replicasets"), obj);
  const auto& rs = static_cast<const api::ReplicaSet&>(*msg);
  const auto& meta = rs.metadata();
  DescribeWriter w;
  w.W(0, "Name:\t" + meta.name() + "\n");
  w.W(0, "Namespace:\t" + meta.namespace_() + "\n");
  w.W(0, "Selector:\t" + FormatLabelSelector(rs.spec().selector()) + "\n");
  LabelsMultiline(w, "Labels", SortedMap(meta.labels()));
  AnnotationsMultiline(w, "Annotations", SortedMap(meta.annotations()));
  std::string owner = ControlledBy(meta);
  if (!owner.empty()) w.W(0, "Controlled By:\t" + owner + "\n");
  int desired = rs.spec().has_replicas() ? rs.spec().replicas() : 1;
  w.W(0, absl::StrCat("Replicas:\t", rs.status().replicas(), " current / ", desired, " desired\n"));
  std::string sel = FormatLabelSelector(rs.spec().selector());
  const ResourceInfo* pods_r = FindResource("pods");
  auto pods = env.api().Get(WithQuery(ResourcePath(*pods_r, meta.namespace_()),
                                      {{"labelSelector", sel == "<none>" ? std::string() : sel}}));
  w.W(0, "Pods Status:\t");
  if (!pods.ok()) {
    w.W(0, absl::StrCat("error in fetching pods: ", pods.status().message(), "\n"));
  } else {
    int running = 0, waiting = 0, succeeded = 0, failed = 0;
    for (const Json& j : pods->value("items", Json::array())) {
      auto pm = DecodeObject(*pods_r, j);
      const auto& p = static_cast<const api::Pod&>(*pm);
      bool owned = false;
      for (const auto& o : p.metadata().owner_references()) {
        if (o.uid() == meta.uid() && o.has_controller() && o.controller()) owned = true;
      }
      if (!owned) continue;
      const std::string& phase = p.status().phase();
      if (phase == "Running")
        ++running;
      else if (phase == "Pending" || phase.empty())
        ++waiting;
      else if (phase == "Succeeded")
        ++succeeded;
      else if (phase == "Failed")
        ++failed;
    }
    w.W(0, absl::StrCat(running, " Running / ", waiting, " Waiting / ", succeeded, " Succeeded / ",
                        failed, " Failed\n"));
  }
  const auto& tmpl = rs.spec().template_();
  w.W(0, "Pod Template:\n");
  LabelsMultiline(w, "  Labels", SortedMap(tmpl.metadata().labels()));
  if (!tmpl.metadata().annotations().empty()) {
    AnnotationsMultiline(w, "  Annotations", SortedMap(tmpl.metadata().annotations()));
  }
  if (!tmpl.spec().service_account_name().empty()) {
    w.W(1, "Service Account:\t" + tmpl.spec().service_account_name() + "\n");
  }
  if (!tmpl.spec().init_containers().empty()) {
    DescribeContainers(w, "Init Containers", tmpl.spec().init_containers(), nullptr, "  ");
  }
  DescribeContainers(w, "Containers", tmpl.spec().containers(), nullptr, "  ");
  DescribeVolumes(w, tmpl.spec().volumes(), "  ");
  if (!tmpl.spec().priority_class_name().empty()) {
    w.W(1, "Priority Class Name:\t" + tmpl.spec().priority_class_name() + "\n");
  }
  LabelsMultiline(w, "  Node-Selectors", SortedMap(tmpl.spec().node_selector()));
  TolerationsMultiline(w, "  Tolerations", tmpl.spec().tolerations());
  if (!rs.status().conditions().empty()) {
    w.W(0, "Conditions:\n  Type\tStatus\tReason\n");
    w.W(1, "----\t------\t------\n");
    for (const auto& c : rs.status().conditions()) {
      w.W(1, absl::StrCat(c.type(), " \t", c.status(), "\t", c.reason(), "\n"));
    }
  }
  DescribeEvents(env, w, "ReplicaSet", meta.namespace_(), meta.name(), meta.uid());
  return w.Render();
}

absl::StatusOr<std::string> DescribeSecret(Env&, const Json& obj) {
  auto msg = DecodeObject(*FindResource("secrets"), obj);
  const auto& s = static_cast<const api::Secret&>(*msg);
  DescribeWriter w;
  NameNsLabels(w, s.metadata(), true);
  w.W(0, "\nType:\t" + s.type() + "\n");
  w.W(0, "\nData\n====\n");
  for (const auto& [k, v] : SortedMap(s.data())) {
    w.W(0, absl::StrCat(k, ":\t", v.size(), " bytes\n"));  // never the values
  }
  return w.Render();
}

absl::StatusOr<std::string> DescribeServiceAccount(Env& env, const Json& obj) {
  auto msg = DecodeObject(*FindResource("serviceaccounts"), obj);
  const auto& sa = static_cast<const api::ServiceAccount&>(*msg);
  DescribeWriter w;
  NameNsLabels(w, sa.metadata(), true);
  std::vector<std::string> pulls, mounts;
  for (const auto& p : sa.image_pull_secrets()) pulls.push_back(p.name());
  for (const auto& m : sa.secrets()) mounts.push_back(m.name());
  auto section = [&](const std::string& header, const std::vector<std::string>& names) {
    if (names.empty()) {
      w.W(0, header + "\t<none>\n");
      return;
    }
    std::string prefix = header;
    for (const std::string& n : names) {
      w.W(0, prefix + "\t" + n + "\n");
      prefix = "                   ";
    }
  };
  section("Image pull secrets:", pulls);
  section("Mountable secrets: ", mounts);
  section("Tokens:            ", {});
  DescribeEvents(env, w, "ServiceAccount", sa.metadata().namespace_(), sa.metadata().name(),
                 sa.metadata().uid());
  return w.Render();
}

absl::StatusOr<std::string> DescribeNamespace(Env&, const Json& obj) {
  auto msg = DecodeObject(*FindResource("namespaces"), obj);
  const auto& ns = static_cast<const api::Namespace&>(*msg);
  DescribeWriter w;
  NameNsLabels(w, ns.metadata(), false);
  w.W(0, "Status:\t" + ns.status().phase() + "\n");
  w.W(0, "\nNo resource quota.\n\nNo LimitRange resource.\n");
  return w.Render();
}

absl::StatusOr<std::string> DescribeHpa(Env& env, const Json& obj) {
  auto msg = DecodeObject(*FindResource("hpa"), obj);
  const auto& h = static_cast<const api::HorizontalPodAutoscaler&>(*msg);
  const auto& meta = h.metadata();
  DescribeWriter w;
  NameNsLabels(w, meta, true);
  w.W(0, "CreationTimestamp:\t" + DescribeTime(meta.creation_timestamp()) + "\n");
  const auto& ref = h.spec().scale_target_ref();
  w.W(0, absl::StrCat("Reference:\t", ref.kind(), "/", ref.name(), "\n"));
  w.W(0, "Metrics:\t( current / target )\n");
  auto util_line = [&](const std::string& name, bool has_target, int target) {
    std::string cur = "<unknown>";
    for (const auto& m : h.status().current_metrics()) {
      if (m.has_resource() && m.resource().name() == name) {
        const auto& c = m.resource().current();
        if (c.has_average_utilization()) {
          cur = absl::StrCat(c.average_utilization(), "% (", c.average_value(), ")");
        }
      }
    }
    if (name == "cpu" && h.status().has_current_cpu_utilization_percentage()) {
      cur = absl::StrCat(h.status().current_cpu_utilization_percentage(), "%");
    }
    w.W(1, absl::StrCat("resource ", name, " on pods  (as a percentage of request):\t", cur, " / ",
                        has_target ? absl::StrCat(target, "%") : "<unset>", "\n"));
  };
  if (h.spec().metrics().empty() && h.spec().has_target_cpu_utilization_percentage()) {
    util_line("cpu", true, h.spec().target_cpu_utilization_percentage());
  }
  for (const auto& m : h.spec().metrics()) {
    if (!m.has_resource()) {
      w.W(1, "<unknown metric type>\n");
      continue;
    }
    const auto& r = m.resource();
    if (r.target().has_average_utilization()) {
      util_line(r.name(), true, r.target().average_utilization());
    } else if (r.has_target_average_utilization()) {
      util_line(r.name(), true, r.target_average_utilization());
    } else {
      std::string target = !r.target().average_value().empty() ? r.target().average_value()
                                                               : r.target_average_value();
      w.W(1, absl::StrCat("resource ", r.name(), " on pods:\t<unknown> / ", target, "\n"));
    }
  }
  w.W(0, absl::StrCat("Min replicas:\t", h.spec().has_min_replicas() ? h.spec().min_replicas() : 1,
                      "\n"));
  w.W(0, absl::StrCat("Max replicas:\t", h.spec().max_replicas(), "\n"));
  w.W(0, absl::StrCat(ref.kind(), " pods:\t", h.status().current_replicas(), " current / ",
                      h.status().desired_replicas(), " desired\n"));
  if (!h.status().conditions().empty()) {
    w.W(0, "Conditions:\n");
    w.W(1, "Type\tStatus\tReason\tMessage\n");
    w.W(1, "----\t------\t------\t-------\n");
    for (const auto& c : h.status().conditions()) {
      w.W(1, absl::StrCat(c.type(), "\t", c.status(), "\t", c.reason(), "\t", c.message(), "\n"));
    }
  }
  DescribeEvents(env, w, "HorizontalPodAutoscaler", meta.namespace_(), meta.name(), meta.uid());
  return w.Render();
}

std::string Title(const std::string& key) {
  std::string t = key;
  if (!t.empty()) t[0] = static_cast<char>(toupper(static_cast<unsigned char>(t[0])));
  return t;
}

void Generic(DescribeWriter& w, const Json& v, int level) {
  for (auto it = v.begin(); it != v.end(); ++it) {
    const Json& x = it.value();
    std::string key = v.is_object() ? Title(it.key()) : "";
    if (x.is_object()) {
      w.W(level, key + ":\n");
      Generic(w, x, level + 1);
    } else if (x.is_array()) {
      w.W(level, key + ":\n");
      for (const Json& e : x) {
        if (e.is_object()) {
          Generic(w, e, level + 1);
        } else {
          w.W(level + 1, (e.is_string() ? e.get<std::string>() : e.dump()) + "\n");
        }
      }
    } else {
      w.W(level, key + ":\t" + (x.is_string() ? x.get<std::string>() : x.dump()) + "\n");
    }
  }
}

absl::StatusOr<std::string> DescribeGeneric(Env& env, const ResourceInfo& r, const Json& obj) {
  auto msg = DecodeObject(r, obj);
  const auto& meta = Meta(*msg);
  DescribeWriter w;
  NameNsLabels(w, meta, r.namespaced);
  w.W(0, "API Version:\t" + r.ApiVersion() + "\n");
  w.W(0, "Kind:\t" + r.kind + "\n");
  Json rest = obj;
  rest.erase("apiVersion");
  rest.erase("kind");
  rest.erase("metadata");
  Generic(w, rest, 0);
  if (r.kind != "Event") {
    DescribeEvents(env, w, r.kind, meta.namespace_(), meta.name(), meta.uid());
  }
  return w.Render();
}

absl::StatusOr<std::string> Describe(Env& env, const ResourceInfo& r, const Json& obj) {
  if (r.name == "pods") return DescribePod(env, obj);
  if (r.name == "nodes") return DescribeNode(env, obj);
  if (r.name == "replicasets") return DescribeReplicaSet(env, obj);
  if (r.name == "secrets") return DescribeSecret(env, obj);
  if (r.name == "serviceaccounts") return DescribeServiceAccount(env, obj);
  if (r.name == "namespaces") return DescribeNamespace(env, obj);
  if (r.name == "horizontalpodautoscalers") return DescribeHpa(env, obj);
  return DescribeGeneric(env, r, obj);
}

}  // namespace

void DescribeFlags(Args* a) {
  a->Flag("selector", 'l')
      .Bool("all-namespaces", 'A')
      .Optional("show-events", "true", "true")
      .Flag("filename", 'f')
      .Bool("recursive", 'R');
}

int RunDescribe(Env& env) {
  std::vector<TypeArg> types;
  if (env.args.Has("filename")) {
    auto docs = ReadManifests(env, env.args.GetAll("filename"), env.args.GetBool("recursive"));
    if (!docs.ok()) return Fail(env, docs.status());
    for (const ManifestDoc& d : *docs) types.push_back({d.resource, {JName(d.obj)}});
  } else {
    if (env.args.positional().empty()) {
      return FailMsg(env,
                     "You must specify the type of resource to describe. Use \"mkctl "
                     "api-resources\" for a complete list of supported resources.");
    }
    auto parsed = ParseTypeArgs(env.args.positional());
    if (!parsed.ok()) return Fail(env, parsed.status());
    types = *parsed;
  }
  std::vector<std::pair<const ResourceInfo*, Json>> objects;
  int rc = 0;
  for (const TypeArg& t : types) {
    std::string ns = t.resource->namespaced ? env.ns : "";
    if (t.names.empty()) {
      auto list = env.api().Get(WithQuery(ResourcePath(*t.resource, env.all_namespaces ? "" : ns),
                                          {{"labelSelector", env.args.Get("selector")}}));
      if (!list.ok()) return Fail(env, list.status());
      for (const Json& item : list->value("items", Json::array())) {
        objects.push_back({t.resource, item});
      }
      continue;
    }
    for (const std::string& name : t.names) {
      auto obj = env.api().Get(ResourcePath(*t.resource, ns, name));
      if (obj.ok()) {
        objects.push_back({t.resource, *obj});
        continue;
      }
      if (obj.status().code() != absl::StatusCode::kNotFound) {
        PrintError(*env.err, obj.status());
        rc = 1;
        continue;
      }
      // kubectl describes every object whose name starts with the given one.
      auto list = env.api().Get(ResourcePath(*t.resource, ns));
      bool found = false;
      if (list.ok()) {
        for (const Json& item : list->value("items", Json::array())) {
          if (absl::StartsWith(JName(item), name)) {
            objects.push_back({t.resource, item});
            found = true;
          }
        }
      }
      if (!found) {
        PrintError(*env.err, obj.status());
        rc = 1;
      }
    }
  }
  bool first = true;
  for (const auto& [r, obj] : objects) {
    auto text = Describe(env, *r, obj);
    if (!text.ok()) {
      PrintError(*env.err, text.status());
      rc = 1;
      continue;
    }
    if (!first) *env.out << "\n\n";
    first = false;
    *env.out << *text;
  }
  if (objects.empty() && rc == 0) {
    *env.err << (env.all_namespaces ? std::string("No resources found")
                                    : absl::StrCat("No resources found in ", env.ns, " namespace."))
             << "\n";
  }
  return rc;
}

}  // namespace mk::kubectl
