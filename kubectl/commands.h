#pragma once

// Every mkctl verb: a function adding its flags and one running it.

#include "kubectl/cli.h"

namespace mk::kubectl {

void GetFlags(Args* a);
int RunGet(Env& env);
void DescribeFlags(Args* a);
int RunDescribe(Env& env);
void ApplyFlags(Args* a);
int RunApply(Env& env);
void CreateFlags(Args* a);
int RunCreate(Env& env);
void DeleteFlags(Args* a);
int RunDelete(Env& env);
void LabelFlags(Args* a);
int RunLabel(Env& env);
int RunAnnotate(Env& env);
void PatchFlags(Args* a);
int RunPatch(Env& env);
void ScaleFlags(Args* a);
int RunScale(Env& env);
void LogsFlags(Args* a);
int RunLogs(Env& env);
void VersionFlags(Args* a);
int RunVersion(Env& env);
void ApiResourcesFlags(Args* a);
int RunApiResources(Env& env);
int RunClusterInfo(Env& env);
void ConfigFlags(Args* a);
int RunConfig(Env& env);
int RunCordon(Env& env);
int RunUncordon(Env& env);
void DrainFlags(Args* a);
int RunDrain(Env& env);
void TopFlags(Args* a);
int RunTop(Env& env);
void AutoscaleFlags(Args* a);
int RunAutoscale(Env& env);
void CertificateFlags(Args* a);
int RunCertificate(Env& env);

}  // namespace mk::kubectl
