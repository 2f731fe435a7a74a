// Encryption at rest with the real apiserver and RocksDB: a secret's canary value must not
// be anywhere in the data directory (raw files, and every key and value of every column
// family opened read-only) when --encryption-provider-config lists secrets, and must be
// found there when it does not (so the scan can see it). Restarts read the secret back.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/integration/process.h"

namespace mk::testing {
namespace {

const std::string kKey1 = absl::Base64Escape(std::string(32, '1'));
const std::string kKey2 = absl::Base64Escape(std::string(32, '2'));

std::string Canary() {
  absl::BitGen gen;
  return absl::StrCat("canary", absl::Uniform<uint64_t>(gen), "x", absl::Uniform<uint64_t>(gen));
}

std::string EncryptionConfig(const std::vector<std::pair<std::string, std::string>>& keys,
                             bool identity_last) {
  std::string out =
      "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n"
      "  - resources: [secrets]\n    providers:\n";
  for (const auto& [name, secret] : keys) {
    absl::StrAppend(&out, "      - aesgcm:\n          keys:\n            - name: ", name,
                    "\n              secret: ", secret, "\n");
  }
  if (identity_last) out += "      - identity: {}\n";
  return out;
}

// Every byte of every file under `dir` contains `needle`?
bool RawFilesContain(const std::string& dir, const std::string& needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (absl::StrContains(ss.str(), needle)) return true;
  }
  return false;
}

// Every key and value of every column family, opened read-only with RocksDB.
std::string AllDbBytes(const std::string& dir) {
  std::vector<std::string> names;
  rocksdb::DBOptions opts;
  rocksdb::Status s = rocksdb::DB::ListColumnFamilies(opts, dir, &names);
  EXPECT_TRUE(s.ok()) << s.ToString();
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const std::string& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  s = rocksdb::DB::OpenForReadOnly(opts, dir, cfs, &handles, &raw);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return "";
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string all;
  for (rocksdb::ColumnFamilyHandle* h : handles) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), h));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      absl::StrAppend(&all, it->key().ToString(), "\n", it->value().ToString(), "\n");
    }
    db->DestroyColumnFamilyHandle(h);
  }
  return all;
}

class SecretsAtRest : public ::testing::Test {
 protected:
  std::string data() { return dir_.path() + "/data"; }
  std::string config_path() { return dir_.path() + "/encryption.yaml"; }

  // Starts an apiserver on data(); with `config` written to config_path() when non-empty.
  std::unique_ptr<Apiserver> Start(const std::string& config) {
    std::vector<std::string> flags;
    if (!config.empty()) {
      WriteFile(config_path(), config);
      flags.push_back("--encryption-provider-config=" + config_path());
    }
    auto api = std::make_unique<Apiserver>(data(), flags);
    EXPECT_TRUE(api->Start()) << "apiserver did not start";
    return api;
  }

  // Creates secret `name` holding `value` in data.password and stringData.note, then
  // changes a label (an update, so the history holds a previous value too).
  void CreateSecret(Apiserver& api, const std::string& name, const std::string& value) {
    std::string manifest = absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ", name,
                                        "\ndata:\n  password: ", absl::Base64Escape(value),
                                        "\nstringData:\n  note: ", value, "-note\n");
    CommandResult r = Mkctl(api.kubeconfig(), {"apply", "-f", "-"}, manifest);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = Mkctl(api.kubeconfig(), {"label", "secret", name, "touched=yes"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::string ReadPassword(Apiserver& api, const std::string& name) {
    CommandResult r =
        Mkctl(api.kubeconfig(), {"get", "secret", name, "-o", "jsonpath={.data.password}"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string raw;
    EXPECT_TRUE(absl::Base64Unescape(r.out, &raw)) << r.out;
    return raw;
  }

  TempDir dir_;
};

TEST_F(SecretsAtRest, EncryptedCanaryIsNowhereOnDiskAndReadsBackAfterRestart) {
  const std::string canary = Canary();
  std::string config = EncryptionConfig({{"key1", kKey1}}, /*identity_last=*/true);
  {
    auto api = Start(config);
    CreateSecret(*api, "db", canary);
    EXPECT_EQ(ReadPassword(*api, "db"), canary);
    api->Kill(SIGTERM);
  }
  std::string db = AllDbBytes(data());
  EXPECT_TRUE(absl::StrContains(db, "k8s:enc:aesgcm:v1:key1:")) << "no encrypted value found";
  EXPECT_TRUE(absl::StrContains(db, "/registry/secrets/default/db"));  // keys stay readable
  for (const std::string& needle : {canary, absl::Base64Escape(canary)}) {
    EXPECT_FALSE(absl::StrContains(db, needle)) << needle << " found in RocksDB";
    EXPECT_FALSE(RawFilesContain(data(), needle)) << needle << " found in a raw file";
  }
  auto api = Start(config);
  EXPECT_EQ(ReadPassword(*api, "db"), canary);
  CommandResult r =
      Mkctl(api->kubeconfig(), {"get", "secret", "db", "-o", "jsonpath={.data.note}"});
  std::string note;
  ASSERT_TRUE(absl::Base64Unescape(r.out, &note)) << r.out;
  EXPECT_EQ(note, canary + "-note");  // stringData merged into data, as Kubernetes does
}

TEST_F(SecretsAtRest, WithoutEncryptionTheScanFindsTheCanary) {
  const std::string canary = Canary();
  {
    auto api = Start("");
    CreateSecret(*api, "db", canary);
    api->Kill(SIGTERM);
  }
  EXPECT_TRUE(absl::StrContains(AllDbBytes(data()), canary));
  EXPECT_TRUE(RawFilesContain(data(), canary));
}

TEST_F(SecretsAtRest, KeyRotationAndRemovedKeys) {
  const std::string old_value = Canary();
  const std::string new_value = Canary();
  {
    auto api = Start(EncryptionConfig({{"key1", kKey1}}, false));
    CreateSecret(*api, "old", old_value);
    CreateSecret(*api, "rewritten", old_value);
    api->Kill(SIGTERM);
  }
  {
    // key2 first: writes use key2, reads of key1 values still work.
    auto api = Start(EncryptionConfig({{"key2", kKey2}, {"key1", kKey1}}, false));
    EXPECT_EQ(ReadPassword(*api, "old"), old_value);
    CommandResult r = Mkctl(api->kubeconfig(), {"apply", "-f", "-"},
                            absl::StrCat("apiVersion: v1\nkind: Secret\nmetadata:\n  name: "
                                         "rewritten\ndata:\n  password: ",
                                         absl::Base64Escape(new_value), "\n"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    api->Kill(SIGTERM);
  }
  {
    // key1 removed: the rewritten secret reads, the old one is a clean server error.
    auto api = Start(EncryptionConfig({{"key2", kKey2}}, false));
    EXPECT_EQ(ReadPassword(*api, "rewritten"), new_value);
    CommandResult r = Mkctl(api->kubeconfig(), {"get", "secret", "old", "-o", "yaml"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_TRUE(absl::StrContains(r.err, "InternalError") || absl::StrContains(r.err, "internal"))
        << r.err;
    EXPECT_FALSE(absl::StrContains(r.out + r.err, old_value));
    api->Kill(SIGTERM);
  }
  {
    // No config at all: encrypted values are not handed out as if they were plaintext.
    auto api = Start("");
    CommandResult r = Mkctl(api->kubeconfig(), {"get", "secret", "rewritten", "-o", "yaml"});
    EXPECT_NE(r.exit_code, 0) << r.out;
  }
}

TEST_F(SecretsAtRest, BadConfigRefusesToStartNamingFileAndField) {
  std::string short_key = absl::Base64Escape("tooshort-secret");
  WriteFile(config_path(), EncryptionConfig({{"key1", short_key}}, false));
  CommandResult r = mk::testing::Run({BinPath("mk-apiserver"), "--data-dir=" + data(),
                                      "--listen=127.0.0.1:0", "--grpc-listen=127.0.0.1:0",
                                      "--encryption-provider-config=" + config_path()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, config_path())) << r.err;
  EXPECT_TRUE(absl::StrContains(
      r.err,
      "resources[0].providers[0].aesgcm.keys[0].secret: expected base64 of a 16, 24 or "
      "32 byte key, got 15 bytes"))
      << r.err;
  EXPECT_FALSE(absl::StrContains(r.err, short_key));
  EXPECT_FALSE(absl::StrContains(r.out, "ready"));
}

}  // namespace
}  // namespace mk::testing
