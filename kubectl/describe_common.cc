// The building blocks of `mkctl describe`, following kubectl's describe.go.

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/object.h"
#include "common/printers.h"
#include "kubectl/client.h"
#include "kubectl/describe.h"
#include "kubectl/table_writer.h"
#include "kubectl/util.h"

namespace mk::kubectl {

void DescribeWriter::W(int level, const std::string& text) {
  for (int i = 0; i < level; ++i) buf_ += "  ";
  buf_ += text;
}

std::string DescribeWriter::Render() const { return TabFormat(buf_, 0, 2); }

std::string DescribeTime(const std::string& rfc3339) {
  absl::Time t = ParseTime(rfc3339);
  if (rfc3339.empty() || t == absl::InfinitePast()) return "<unset>";
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", t, absl::LocalTimeZone());
}

std::string OrNoneStr(const std::string& s) { return s.empty() ? "<none>" : s; }

void LabelsMultiline(DescribeWriter& w, const std::string& title,
                     const std::map<std::string, std::string>& labels) {
  w.W(0, title + ":\t");
  if (labels.empty()) {
    w.W(0, "<none>\n");
    return;
  }
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) w.W(0, "\t");
    first = false;
    w.W(0, absl::StrCat(k, "=", v, "\n"));
  }
}

void AnnotationsMultiline(DescribeWriter& w, const std::string& title,
                          const std::map<std::string, std::string>& annotations) {
  w.W(0, title + ":\t");
  std::map<std::string, std::string> shown;
  for (const auto& [k, v] : annotations) {
    if (k != "kubectl.kubernetes.io/last-applied-configuration") shown[k] = v;
  }
  if (shown.empty()) {
    w.W(0, "<none>\n");
    return;
  }
  bool first = true;
  for (const auto& [k, v] : shown) {
    if (!first) w.W(0, "\t");
    first = false;
    std::string line = absl::StrCat(k, ": ", v);
    if (line.size() > 140) line = line.substr(0, 140) + "...";
    // Multi-line values continue under the value column.
    std::vector<std::string> parts = absl::StrSplit(line, '\n');
    w.W(0, parts[0] + "\n");
    for (size_t i = 1; i < parts.size(); ++i) w.W(0, "\t" + parts[i] + "\n");
  }
}

void TolerationsMultiline(DescribeWriter& w, const std::string& title,
                          const google::protobuf::RepeatedPtrField<api::Toleration>& tols) {
  w.W(0, title + ":\t");
  if (tols.empty()) {
    w.W(0, "<none>\n");
    return;
  }
  std::vector<const api::Toleration*> sorted;
  for (const auto& t : tols) sorted.push_back(&t);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->key() < b->key(); });
  bool first = true;
  for (const api::Toleration* t : sorted) {
    if (!first) w.W(0, "\t");
    first = false;
    std::string s = t->key();
    if (!t->value().empty()) absl::StrAppend(&s, "=", t->value());
    if (!t->effect().empty()) absl::StrAppend(&s, ":", t->effect());
    if (t->operator_() == "Exists" && t->value().empty()) {
      absl::StrAppend(&s, t->key().empty() && t->effect().empty() ? "op=Exists" : " op=Exists");
    }
    if (t->has_toleration_seconds()) absl::StrAppend(&s, " for ", t->toleration_seconds(), "s");
    w.W(0, s + "\n");
  }
}

std::string ControlledBy(const api::ObjectMeta& meta) {
  for (const auto& o : meta.owner_references()) {
    if (o.has_controller() && o.controller()) return absl::StrCat(o.kind(), "/", o.name());
  }
  return "";
}

void DescribeEvents(Env& env, DescribeWriter& w, const std::string& kind, const std::string& ns,
                    const std::string& name, const std::string& uid) {
  const ResourceInfo* events = FindResource("events");
  std::string selector = absl::StrCat("involvedObject.name=", name);
  if (!ns.empty()) absl::StrAppend(&selector, ",involvedObject.namespace=", ns);
  if (!uid.empty() && kind != "Node") absl::StrAppend(&selector, ",involvedObject.uid=", uid);
  std::string base = ResourcePath(*events, ns);
  auto list = env.api().Get(WithQuery(base, {{"fieldSelector", selector}}));
  if (!list.ok()) list = env.api().Get(base);  // server without these field selectors
  std::vector<api::Event> items;
  if (list.ok()) {
    for (const Json& j : list->value("items", Json::array())) {
      auto msg = DecodeObject(*events, j);
      const auto& e = static_cast<const api::Event&>(*msg);
      const auto& io = e.involved_object();
      if (io.name() != name) continue;
      if (!io.kind().empty() && io.kind() != kind) continue;
      if (!ns.empty() && !io.namespace_().empty() && io.namespace_() != ns) continue;
      if (kind != "Node" && !uid.empty() && !io.uid().empty() && io.uid() != uid) continue;
      items.push_back(e);
    }
  }
  if (items.empty()) {
    w.W(0, "Events:\t<none>\n");
    return;
  }
  auto last = [](const api::Event& e) {
    absl::Time t = ParseTime(e.last_timestamp());
    if (t == absl::InfinitePast()) t = ParseTime(e.event_time());
    return t;
  };
  std::stable_sort(items.begin(), items.end(),
                   [&](const api::Event& a, const api::Event& b) { return last(a) < last(b); });
  w.W(0, "Events:\n");
  w.W(1, "Type\tReason\tAge\tFrom\tMessage\n");
  w.W(1, "----\t------\t----\t----\t-------\n");
  for (const api::Event& e : items) {
    std::string first = e.event_time().empty() ? AgeSince(e.first_timestamp(), env.now)
                                               : AgeSince(e.event_time(), env.now);
    std::string interval = first;
    if (e.count() > 1) {
      interval = absl::StrCat(AgeSince(e.last_timestamp(), env.now), " (x", e.count(), " over ",
                              first, ")");
    }
    std::string source = e.source().component();
    if (source.empty()) source = e.reporting_component();
    w.W(1, absl::StrCat(e.type(), "\t", e.reason(), "\t", interval, "\t", source, "\t",
                        absl::StripAsciiWhitespace(e.message()), "\n"));
  }
}

namespace {

std::string Ports(const api::Container& c, bool host) {
  std::vector<std::string> out;
  for (const auto& p : c.ports()) {
    std::string proto = p.protocol().empty() ? "TCP" : p.protocol();
    out.push_back(absl::StrCat(host ? p.host_port() : p.container_port(), "/", proto));
  }
  return absl::StrJoin(out, ", ");
}

void State(DescribeWriter& w, const std::string& name, const api::ContainerState& s) {
  if (s.has_running()) {
    w.W(2, name + ":\tRunning\n");
    w.W(3, "Started:\t" + DescribeTime(s.running().started_at()) + "\n");
  } else if (s.has_waiting()) {
    w.W(2, name + ":\tWaiting\n");
    if (!s.waiting().reason().empty()) w.W(3, "Reason:\t" + s.waiting().reason() + "\n");
  } else if (s.has_terminated()) {
    const auto& t = s.terminated();
    w.W(2, name + ":\tTerminated\n");
    if (!t.reason().empty()) w.W(3, "Reason:\t" + t.reason() + "\n");
    if (!t.message().empty()) w.W(3, "Message:\t" + t.message() + "\n");
    w.W(3, absl::StrCat("Exit Code:\t", t.exit_code(), "\n"));
    if (t.signal() > 0) w.W(3, absl::StrCat("Signal:\t", t.signal(), "\n"));
    w.W(3, "Started:\t" + DescribeTime(t.started_at()) + "\n");
    w.W(3, "Finished:\t" + DescribeTime(t.finished_at()) + "\n");
  } else {
    w.W(2, name + ":\tWaiting\n");
  }
}

void Resources(DescribeWriter& w, const char* title,
               const google::protobuf::Map<std::string, std::string>& m) {
  if (m.empty()) return;
  w.W(2, absl::StrCat(title, ":\n"));
  for (const auto& [k, v] : SortedMap(m)) w.W(3, absl::StrCat(k, ":\t", v, "\n"));
}

std::string PortString(const api::IntOrString& p) {
  if (p.has_str_val()) return p.str_val();
  if (p.has_int_val()) return absl::StrCat(p.int_val());
  return "";
}

}  // namespace

std::string DescribeProbe(const api::Probe& p) {
  std::string attrs =
      absl::StrCat("delay=", p.initial_delay_seconds(),
                   "s timeout=", p.has_timeout_seconds() ? p.timeout_seconds() : 1,
                   "s period=", p.has_period_seconds() ? p.period_seconds() : 10,
                   "s #success=", p.has_success_threshold() ? p.success_threshold() : 1,
                   " #failure=", p.has_failure_threshold() ? p.failure_threshold() : 3);
  if (p.has_exec()) {
    return absl::StrCat("exec [", absl::StrJoin(p.exec().command(), " "), "] ", attrs);
  }
  if (p.has_http_get()) {
    const auto& h = p.http_get();
    std::string scheme = absl::AsciiStrToLower(h.scheme().empty() ? "HTTP" : h.scheme());
    std::string port = PortString(h.port());
    std::string host = h.host();
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    std::string hp = port.empty() ? host : absl::StrCat(host, ":", port);
    std::string path = h.path();
    if (!path.empty() && path[0] != '/') path = "/" + path;
    return absl::StrCat("http-get ", scheme, "://", hp, path, " ", attrs);
  }
  if (p.has_tcp_socket()) {
    return absl::StrCat("tcp-socket ", p.tcp_socket().host(), ":",
                        PortString(p.tcp_socket().port()), " ", attrs);
  }
  return absl::StrCat("unknown ", attrs);
}

void DescribeContainers(DescribeWriter& w, const std::string& title,
                        const google::protobuf::RepeatedPtrField<api::Container>& containers,
                        const google::protobuf::RepeatedPtrField<api::ContainerStatus>* statuses,
                        const std::string& space) {
  w.W(0, absl::StrCat(space, title, ":\n"));
  for (const api::Container& c : containers) {
    const api::ContainerStatus* st = nullptr;
    if (statuses != nullptr) {
      for (const auto& s : *statuses) {
        if (s.name() == c.name()) st = &s;
      }
    }
    w.W(1, absl::StrCat(space.empty() ? "" : " ", c.name(), ":\n"));
    if (st != nullptr) w.W(2, "Container ID:\t" + st->container_id() + "\n");
    w.W(2, "Image:\t" + c.image() + "\n");
    if (st != nullptr) w.W(2, "Image ID:\t" + st->image_id() + "\n");
    std::string ports = Ports(c, false);
    w.W(2, absl::StrCat(ports.find(',') != std::string::npos ? "Ports:\t" : "Port:\t",
                        OrNoneStr(ports), "\n"));
    std::string host_ports = Ports(c, true);
    w.W(2,
        absl::StrCat(host_ports.find(',') != std::string::npos ? "Host Ports:\t" : "Host Port:\t",
                     OrNoneStr(host_ports), "\n"));
    if (c.command_size() > 0) {
      w.W(2, "Command:\n");
      for (const std::string& a : c.command()) {
        for (absl::string_view line : absl::StrSplit(a, '\n')) w.W(3, absl::StrCat(line, "\n"));
      }
    }
    if (c.args_size() > 0) {
      w.W(2, "Args:\n");
      for (const std::string& a : c.args()) {
        for (absl::string_view line : absl::StrSplit(a, '\n')) w.W(3, absl::StrCat(line, "\n"));
      }
    }
    if (st != nullptr) {
      State(w, "State", st->state());
      if (st->last_state().has_terminated()) State(w, "Last State", st->last_state());
      w.W(2, absl::StrCat("Ready:\t", st->ready() ? "True" : "False", "\n"));
      w.W(2, absl::StrCat("Restart Count:\t", st->restart_count(), "\n"));
    }
    Resources(w, "Limits", c.resources().limits());
    Resources(w, "Requests", c.resources().requests());
    if (c.has_liveness_probe()) w.W(2, "Liveness:\t" + DescribeProbe(c.liveness_probe()) + "\n");
    if (c.has_readiness_probe()) {
      w.W(2, "Readiness:\t" + DescribeProbe(c.readiness_probe()) + "\n");
    }
    if (c.has_startup_probe()) w.W(2, "Startup:\t" + DescribeProbe(c.startup_probe()) + "\n");
    w.W(2, c.env().empty() ? "Environment:\t<none>\n" : "Environment:\n");
    for (const api::EnvVar& e : c.env()) {
      if (!e.has_value_from()) {
        std::vector<std::string> lines = absl::StrSplit(e.value(), '\n');
        w.W(3, absl::StrCat(e.name(), ":\t", lines[0], "\n"));
        for (size_t i = 1; i < lines.size(); ++i) w.W(3, absl::StrCat("\t", lines[i], "\n"));
      } else if (e.value_from().has_field_ref()) {
        const auto& f = e.value_from().field_ref();
        w.W(3, absl::StrCat(e.name(), ":\t (", f.api_version().empty() ? "v1" : f.api_version(),
                            ":", f.field_path(), ")\n"));
      } else if (e.value_from().has_secret_key_ref()) {
        const auto& s = e.value_from().secret_key_ref();
        w.W(3, absl::StrCat(e.name(), ":\t<set to the key '", s.key(), "' in secret '", s.name(),
                            "'>\tOptional: ", s.has_optional() && s.optional() ? "true" : "false",
                            "\n"));
      }
    }
    std::vector<const api::VolumeMount*> mounts;
    for (const auto& m : c.volume_mounts()) mounts.push_back(&m);
    std::stable_sort(mounts.begin(), mounts.end(), [](const auto* a, const auto* b) {
      return a->mount_path() < b->mount_path();
    });
    w.W(2, mounts.empty() ? "Mounts:\t<none>\n" : "Mounts:\n");
    for (const api::VolumeMount* m : mounts) {
      std::string flags = m->has_read_only() && m->read_only() ? "ro" : "rw";
      if (!m->sub_path().empty()) absl::StrAppend(&flags, ",path=\"", m->sub_path(), "\"");
      w.W(3, absl::StrCat(m->mount_path(), " from ", m->name(), " (", flags, ")\n"));
    }
  }
}

void DescribeVolumes(DescribeWriter& w, const google::protobuf::RepeatedPtrField<api::Volume>& vs,
                     const std::string& space) {
  if (vs.empty()) {
    w.W(0, space + "Volumes:\t<none>\n");
    return;
  }
  w.W(0, space + "Volumes:\n");
  for (const api::Volume& v : vs) {
    w.W(1, absl::StrCat(space.empty() ? "" : " ", v.name(), ":\n"));
    if (v.has_host_path()) {
      w.W(2, absl::StrCat("Type:\tHostPath (bare host directory volume)\n    Path:\t",
                          v.host_path().path(), "\n    HostPathType:\t",
                          OrNoneStr(v.host_path().type()), "\n"));
    } else if (v.has_empty_dir()) {
      std::string limit = v.empty_dir().size_limit();
      w.W(2, absl::StrCat("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                          "    Medium:\t",
                          v.empty_dir().medium(), "\n    SizeLimit:\t",
                          limit.empty() || limit == "0" ? "<unset>" : limit, "\n"));
    } else if (v.has_secret()) {
      w.W(2, absl::StrCat("Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t",
                          v.secret().secret_name(), "\n    Optional:\t",
                          v.secret().has_optional() && v.secret().optional() ? "true" : "false",
                          "\n"));
    } else {
      w.W(2, "<unknown>\n");
    }
  }
}

}  // namespace mk::kubectl
