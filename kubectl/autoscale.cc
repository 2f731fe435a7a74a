// mkctl autoscale (rs|replicaset)/NAME --min=N --max=M --cpu-percent=P [--name=HPA]: creates an
// autoscaling/v2 HorizontalPodAutoscaler on the target's scale subresource, as kubectl does.

#include "absl/strings/str_cat.h"
#include "kubectl/client.h"
#include "kubectl/commands.h"
#include "kubectl/util.h"

namespace mk::kubectl {

void AutoscaleFlags(Args* a) {
  a->Flag("min", 0, "-1").Flag("max", 0, "-1").Flag("cpu-percent", 0, "-1").Flag("name");
}

int RunAutoscale(Env& env) {
  auto types = ParseTypeArgs(env.args.positional());
  if (!types.ok()) return Fail(env, types.status());
  if (types->size() != 1 || (*types)[0].names.size() != 1) {
    return FailMsg(env, "exactly one resource is required: mkctl autoscale rs/NAME --max=N");
  }
  const ResourceInfo& r = *(*types)[0].resource;
  const std::string& target = (*types)[0].names[0];
  bool scalable = false;
  for (const std::string& s : r.subresources) scalable |= s == "scale";
  if (!scalable) {
    return FailMsg(env, absl::StrCat("cannot autoscale a ", r.kind, ": ", r.name,
                                     " have no scale subresource"));
  }
  int64_t min = -1, max = -1, cpu = -1;
  env.args.GetInt("min", &min);
  env.args.GetInt("cpu-percent", &cpu);
  if (!env.args.GetInt("max", &max) || max < 1) {
    return FailMsg(env, "--max=MAXPODS is required and must be at least 1");
  }
  if (min > max) {
    return FailMsg(env, absl::StrCat("--max=MAXPODS must be larger or equal to --min=MINPODS, "
                                     "max: ",
                                     max, ", min: ", min));
  }
  // The target must exist (kubectl reads it first).
  auto obj = env.api().Get(ResourcePath(r, env.ns, target));
  if (!obj.ok()) return Fail(env, obj.status());
  std::string name = env.args.Get("name").empty() ? target : env.args.Get("name");
  Json spec = {
      {"scaleTargetRef", {{"apiVersion", r.ApiVersion()}, {"kind", r.kind}, {"name", target}}},
      {"maxReplicas", max}};
  if (min >= 1) spec["minReplicas"] = min;
  if (cpu >= 0) {
    spec["metrics"] = {
        {{"type", "Resource"},
         {"resource",
          {{"name", "cpu"}, {"target", {{"type", "Utilization"}, {"averageUtilization", cpu}}}}}}};
  }
  Json hpa = {{"apiVersion", "autoscaling/v2"},
              {"kind", "HorizontalPodAutoscaler"},
              {"metadata", {{"name", name}, {"namespace", env.ns}}},
              {"spec", spec}};
  const ResourceInfo* hr = FindResource("horizontalpodautoscalers");
  auto res = env.api().Post(ResourcePath(*hr, env.ns), hpa);
  if (!res.ok()) return Fail(env, res.status());
  *env.out << KindName(*hr) << "/" << name << " autoscaled\n";
  return 0;
}

}  // namespace mk::kubectl
