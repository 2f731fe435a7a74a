#include "kubectl/commands.h"
namespace mk::kubectl {
void DescribeFlags(Args*) {}
int RunDescribe(Env&) { return 1; }
void ApplyFlags(Args*) {}
int RunApply(Env&) { return 1; }
void CreateFlags(Args*) {}
int RunCreate(Env&) { return 1; }
void DeleteFlags(Args*) {}
int RunDelete(Env&) { return 1; }
void LabelFlags(Args*) {}
int RunLabel(Env&) { return 1; }
int RunAnnotate(Env&) { return 1; }
void PatchFlags(Args*) {}
int RunPatch(Env&) { return 1; }
void ScaleFlags(Args*) {}
int RunScale(Env&) { return 1; }
void LogsFlags(Args*) {}
int RunLogs(Env&) { return 1; }
void VersionFlags(Args*) {}
int RunVersion(Env&) { return 1; }
void ApiResourcesFlags(Args*) {}
int RunApiResources(Env&) { return 1; }
int RunClusterInfo(Env&) { return 1; }
void ConfigFlags(Args*) {}
int RunConfig(Env&) { return 1; }
int RunCordon(Env&) { return 1; }
int RunUncordon(Env&) { return 1; }
}
