#include "kubelet/tar_writer.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kubelet/pause_image.h"

namespace mk::kubelet {
namespace {

uint64_t ParseOctal(const std::string& block, size_t off, size_t len) {
  return std::strtoull(block.substr(off, len).c_str(), nullptr, 8);
}

TEST(TarWriterTest, HeaderLayoutAndChecksum) {
  TarWriter tar;
  ASSERT_TRUE(tar.AddFile("/pause", std::string(1000, 'p'), 0755, 1700000000).ok());
  std::string out = tar.Finish();
  // header + 2 data blocks + 2 end blocks
  ASSERT_EQ(out.size(), 512u * 5);
  std::string h = out.substr(0, 512);
  EXPECT_EQ(std::string(h.c_str()), "pause");  // leading '/' dropped
  EXPECT_EQ(ParseOctal(h, 100, 8), 0755u);
  EXPECT_EQ(ParseOctal(h, 124, 12), 1000u);
  EXPECT_EQ(ParseOctal(h, 136, 12), 1700000000u);
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(h.substr(257, 6), std::string("ustar\0", 6));
  unsigned sum = 0;
  for (size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : (unsigned char)h[i];
  EXPECT_EQ(ParseOctal(h, 148, 7), sum);
  EXPECT_EQ(out.substr(512, 1000), std::string(1000, 'p'));
  EXPECT_EQ(out.substr(1512), std::string(512 * 5 - 1512, '\0'));
}

TEST(TarWriterTest, LongNamesUsePrefix) {
  TarWriter tar;
  std::string dir(120, 'd');
  ASSERT_TRUE(tar.AddFile(dir + "/file", "x").ok());
  EXPECT_FALSE(tar.AddFile(std::string(300, 'n'), "x").ok());
  EXPECT_FALSE(tar.AddFile("", "x").ok());
  std::string out = tar.Finish();
  EXPECT_EQ(std::string(out.c_str()), "file");
  EXPECT_EQ(std::string(out.c_str() + 345), dir);
}

// The system tar must read what we write: files, directories, symlinks, modes.
TEST(TarWriterTest, SystemTarExtractsIt) {
  TarWriter tar;
  ASSERT_TRUE(tar.AddDirectory("bin").ok());
  ASSERT_TRUE(tar.AddFile("bin/tool", "#!/bin/sh\necho hi\n", 0755).ok());
  ASSERT_TRUE(tar.AddSymlink("bin/sh", "tool").ok());
  ASSERT_TRUE(tar.AddFile(std::string(110, 'a') + "/deep.txt", "deep").ok());
  std::string dir = ::testing::TempDir() + "/tar_writer_test-" + std::to_string(getpid());
  std::string file = dir + ".tar";
  {
    std::ofstream f(file, std::ios::binary);
    std::string bytes = tar.Finish();
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  std::string cmd = "rm -rf " + dir + " && mkdir -p " + dir + " && tar -xf " + file + " -C " + dir +
                    " && test -x " + dir + "/bin/tool && test -L " + dir + "/bin/sh && " +
                    "test \"$(cat " + dir + "/bin/sh)\" = \"$(cat " + dir + "/bin/tool)\" && " +
                    "test \"$(cat " + dir + "/" + std::string(110, 'a') + "/deep.txt)\" = deep";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

TEST(PauseImageTest, TarHoldsExecutablePause) {
  absl::StatusOr<std::string> tar = PauseImageTar("ELF...");
  ASSERT_TRUE(tar.ok());
  EXPECT_EQ(std::string(tar->c_str()), "pause");
  EXPECT_EQ(ParseOctal(*tar, 100, 8), 0755u);
  EXPECT_EQ(tar->substr(512, 6), "ELF...");
}

}  // namespace
}  // namespace mk::kubelet
