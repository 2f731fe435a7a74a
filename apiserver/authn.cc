#include "apiserver/authn.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"
#include "common/pki.h"

namespace mk::apiserver {
namespace {

constexpr size_t kMaxCachedCerts = 1024;

absl::Status Unauthorized() { return absl::UnauthenticatedError("Unauthorized"); }

// One CSV record per line with RFC 4180 quoting ("a,b" and "" inside quotes), as Go's
// encoding/csv reads Kubernetes' token file.
absl::StatusOr<std::vector<std::string>> CsvFields(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  if (quoted) return absl::InvalidArgumentError("unterminated quote");
  return fields;
}

void AddAuthenticated(UserInfo* user) {
  if (std::find(user->groups.begin(), user->groups.end(), kAuthenticatedGroup) ==
      user->groups.end()) {
    user->groups.push_back(kAuthenticatedGroup);
  }
}

}  // namespace

absl::StatusOr<absl::flat_hash_map<std::string, UserInfo>> Authenticator::ParseTokenFile(
    const std::string& text) {
  absl::flat_hash_map<std::string, UserInfo> tokens;
  int n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++n;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    absl::StatusOr<std::vector<std::string>> f = CsvFields(line);
    if (!f.ok())
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": ", f.status().message()));
    if (f->size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", n, ": want at least 3 columns (token,user,uid[,groups])"));
    }
    const std::string& token = (*f)[0];
    if (token.empty() || (*f)[1].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": empty token or user"));
    }
    if (tokens.contains(token)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", n, ": duplicate token"));
    }
    UserInfo user;
    user.name = (*f)[1];
    if (f->size() > 3) {
      for (absl::string_view g : absl::StrSplit((*f)[3], ',', absl::SkipWhitespace())) {
        user.groups.emplace_back(absl::StripAsciiWhitespace(g));
      }
    }
    AddAuthenticated(&user);
    tokens.emplace(token, std::move(user));
  }
  return tokens;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    std::string client_ca_pem, const std::string& token_file) {
  absl::flat_hash_map<std::string, UserInfo> tokens;
  if (!token_file.empty()) {
    absl::StatusOr<std::string> text = pki::ReadFile(token_file);
    if (!text.ok()) return text.status();
    auto parsed = ParseTokenFile(*text);
    if (!parsed.ok()) {
      // The message names a line, never a token.
      return absl::InvalidArgumentError(
          absl::StrCat("token file ", token_file, ": ", parsed.status().message()));
    }
    tokens = *std::move(parsed);
  }
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(client_ca_pem), tokens));
}

absl::StatusOr<UserInfo> Authenticator::FromCertificate(const std::string& cert_pem) const {
  absl::Time now = absl::Now();
  {
    absl::MutexLock l(&mu_);
    auto it = cert_cache_.find(cert_pem);
    if (it != cert_cache_.end() && now < it->second.not_after) return it->second.user;
  }
  if (absl::Status s = pki::VerifyCert(cert_pem, client_ca_pem_, pki::Usage::kClient, now);
      !s.ok()) {
    MK_VLOG(2) << "client certificate rejected: " << s.message();
    return Unauthorized();
  }
  absl::StatusOr<pki::CertInfo> info = pki::ParseCert(cert_pem);
  if (!info.ok() || info->common_name.empty()) return Unauthorized();
  UserInfo user;
  user.name = info->common_name;
  user.groups = info->organizations;
  AddAuthenticated(&user);
  absl::MutexLock l(&mu_);
  if (cert_cache_.size() >= kMaxCachedCerts) cert_cache_.clear();
  cert_cache_[cert_pem] = CachedCert{user, info->not_after};
  return user;
}

absl::StatusOr<UserInfo> Authenticator::Authenticate(const std::string& cert_pem,
                                                     const std::string& authorization) const {
  if (!cert_pem.empty()) {
    absl::StatusOr<UserInfo> user = FromCertificate(cert_pem);
    if (user.ok()) return user;
    // As Kubernetes' union authenticator: a bearer token may still succeed.
    if (authorization.empty()) return user.status();
  }
  absl::string_view auth = absl::StripAsciiWhitespace(authorization);
  if (auth.size() > 7 && absl::StartsWithIgnoreCase(auth, "bearer ")) {
    std::string token(absl::StripAsciiWhitespace(auth.substr(7)));
    auto it = tokens_.find(token);
    if (it != tokens_.end()) return it->second;
    if (bootstrap_lookup_) {
      if (std::optional<UserInfo> user = bootstrap_lookup_(token)) {
        AddAuthenticated(&*user);
        return *std::move(user);
      }
    }
    return Unauthorized();
  }
  if (!cert_pem.empty()) return Unauthorized();
  return UserInfo{kAnonymousUser, {kUnauthenticatedGroup}};
}

}  // namespace mk::apiserver
