#include "kubectl/table_writer.h"

#include <sstream>

#include "gtest/gtest.h"
#include "kubectl/qty.h"

namespace mk::kubectl {
namespace {

TEST(TableWriterTest, GetStyle) {
  TableWriter t;
  t.AddRow({"NAME", "READY", "STATUS", "RESTARTS", "AGE"});
  t.AddRow({"photoview-pod", "1/1", "Running", "0", "2m13s"});
  std::ostringstream os;
  t.Flush(os);
  EXPECT_EQ(os.str(),
            "NAME            READY   STATUS    RESTARTS   AGE\n"
            "photoview-pod   1/1     Running   0          2m13s\n");
  // Widths are remembered: a later, shorter row lines up; a longer one widens.
  t.AddRow({"x", "0/1", "Pending", "0", "1s"});
  os.str("");
  t.Flush(os);
  EXPECT_EQ(os.str(), "x               0/1     Pending   0          1s\n");
}

TEST(TabFormatTest, DescribeBlocks) {
  std::string in =
      "Name:\tnginx\nNamespace:\tdefault\nIPs:\n  IP:\t10.0.0.1\nContainers:\n"
      "  c:\n    Image:\tnginx\n    Restart Count:\t0\n";
  EXPECT_EQ(TabFormat(in),
            "Name:       nginx\n"
            "Namespace:  default\n"
            "IPs:\n"
            "  IP:  10.0.0.1\n"
            "Containers:\n"
            "  c:\n"
            "    Image:          nginx\n"
            "    Restart Count:  0\n");
  EXPECT_EQ(TabFormat("a\tb\tc\naaa\tb\n"), "a    b  c\naaa  b\n");
}

TEST(QtyTest, ParseAddFormat) {
  Qty a, b, c;
  ASSERT_TRUE(ParseQty("100m", &a));
  ASSERT_TRUE(ParseQty("250m", &b));
  AddQty(&a, b);
  EXPECT_EQ(FormatQty(a), "350m");
  ASSERT_TRUE(ParseQty("2", &c));
  AddQty(&a, c);
  EXPECT_EQ(FormatQty(a), "2350m");
  Qty four;
  ASSERT_TRUE(ParseQty("4", &four));
  EXPECT_EQ(FormatQty(four), "4");
  EXPECT_EQ(MilliValue(four), 4000);
  Qty m1, m2;
  ASSERT_TRUE(ParseQty("70Mi", &m1));
  ASSERT_TRUE(ParseQty("100Mi", &m2));
  AddQty(&m1, m2);
  EXPECT_EQ(FormatQty(m1), "170Mi");
  ASSERT_TRUE(ParseQty("1024Mi", &m2));
  EXPECT_EQ(FormatQty(m2), "1Gi");
  ASSERT_TRUE(ParseQty("300M", &m2));
  EXPECT_EQ(FormatQty(m2), "300M");
  ASSERT_TRUE(ParseQty("1e3", &m2));
  EXPECT_EQ(FormatQty(m2), "1e3");
  ASSERT_TRUE(ParseQty("0.5", &m2));
  EXPECT_EQ(FormatQty(m2), "500m");
  EXPECT_EQ(FormatQty(Qty{}), "0");
  EXPECT_FALSE(ParseQty("5 Mi", &m2));
  EXPECT_FALSE(ParseQty("1.2.3", &m2));
  EXPECT_FALSE(ParseQty("Mi", &m2));
}

}  // namespace
}  // namespace mk::kubectl
