// The strict base64 decoder behind the broker envelope (docs/thingspanel.md#broker-envelope):
// RFC 4648 test vectors, and every way a text can fail to be canonical base64.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "gateway/base64.hpp"

namespace tpgate::gateway {
namespace {

using namespace std::string_literals;

struct VectorCase {
  std::string bytes;
  std::string text;
};

void PrintTo(const VectorCase& c, std::ostream* os) { *os << '"' << c.text << '"'; }

class Base64VectorTest : public ::testing::TestWithParam<VectorCase> {};

TEST_P(Base64VectorTest, EncodesAndDecodes) {
  const VectorCase& c = GetParam();
  EXPECT_EQ(base64_encode(c.bytes), c.text);
  const auto decoded = base64_decode(c.text);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), c.bytes);
}

// RFC 4648 section 10, plus bytes that use '+' and '/' and a NUL.
INSTANTIATE_TEST_SUITE_P(Rfc4648, Base64VectorTest,
                         ::testing::Values(VectorCase{"", ""}, VectorCase{"f", "Zg=="},
                                           VectorCase{"fo", "Zm8="}, VectorCase{"foo", "Zm9v"},
                                           VectorCase{"foob", "Zm9vYg=="}, VectorCase{"fooba", "Zm9vYmE="},
                                           VectorCase{"foobar", "Zm9vYmFy"},
                                           VectorCase{"\xfb\xff\xbf"s, "+/+/"},
                                           VectorCase{"\0\x01"s, "AAE="}));

struct BadCase {
  const char* why;
  std::string text;
  std::string error;
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.why; }

class Base64BadTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(Base64BadTest, IsRejected) {
  const BadCase& c = GetParam();
  const auto decoded = base64_decode(c.text);
  ASSERT_FALSE(decoded.ok()) << c.why;
  EXPECT_EQ(decoded.error().message, c.error) << c.why;
  EXPECT_EQ(decoded.error().reason, mqtt::ReasonCode::PayloadFormatInvalid);
}

INSTANTIATE_TEST_SUITE_P(
    Table, Base64BadTest,
    ::testing::Values(
        BadCase{"length not a multiple of 4 (padding left out)", "Zg", "base64: length 2 is not a multiple of 4"},
        BadCase{"URL-safe alphabet", "-_-_", "base64: invalid character at offset 0"},
        BadCase{"whitespace", "Zm9v\nYmFy", "base64: length 9 is not a multiple of 4"},
        BadCase{"space inside a group", "Zm 9", "base64: invalid character at offset 2"},
        BadCase{"padding in the middle", "Zg==Zm8=", "base64: '=' at offset 2 is followed by data"},
        BadCase{"'=' followed by data in the last group", "Z=g=", "base64: '=' at offset 1 is followed by data"},
        BadCase{"three padding characters", "Z===", "base64: '=' at offset 1 is followed by data"},
        BadCase{"data after a single '='", "Zm=v", "base64: '=' at offset 2 is followed by data"},
        BadCase{"non-zero bits after one byte", "Zh==", "base64: non-zero padding bits in the last group"},
        BadCase{"non-zero bits after two bytes", "Zm9=", "base64: non-zero padding bits in the last group"},
        BadCase{"non-ASCII byte", "Zm9\xC3", "base64: invalid character at offset 3"}));

}  // namespace
}  // namespace tpgate::gateway
