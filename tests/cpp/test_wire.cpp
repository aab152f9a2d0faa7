// Wire primitives (Variable Byte Integer, two-byte lengths, bounded reads) and
// the small vocabulary functions of types.hpp / properties.hpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/properties.hpp"
#include "mqtt/types.hpp"
#include "mqtt/wire.hpp"

namespace {

using namespace tpgate::mqtt;
using codec_test::hex;

struct VarintCase {
  std::uint32_t value;
  Bytes bytes;
};

class VarintTest : public testing::TestWithParam<VarintCase> {};

// The boundaries of Table 1-1 (1.5.5).
INSTANTIATE_TEST_SUITE_P(Table1_1, VarintTest,
                         testing::Values(VarintCase{0, {0x00}}, VarintCase{127, {0x7F}},
                                         VarintCase{128, {0x80, 0x01}}, VarintCase{16'383, {0xFF, 0x7F}},
                                         VarintCase{16'384, {0x80, 0x80, 0x01}},
                                         VarintCase{2'097'151, {0xFF, 0xFF, 0x7F}},
                                         VarintCase{2'097'152, {0x80, 0x80, 0x80, 0x01}},
                                         VarintCase{268'435'455, {0xFF, 0xFF, 0xFF, 0x7F}}));

TEST_P(VarintTest, EncodesMinimally) {
  Bytes out(4);
  wire::Writer w(out.data());
  w.varint(GetParam().value);
  out.resize(w.size());
  EXPECT_EQ(hex(out), hex(GetParam().bytes));
  EXPECT_EQ(wire::varint_size(GetParam().value), GetParam().bytes.size());
  wire::Writer counter;
  counter.varint(GetParam().value);
  EXPECT_EQ(counter.size(), GetParam().bytes.size());
}

TEST_P(VarintTest, Decodes) {
  std::uint32_t value = 1;
  std::size_t used = 0;
  Bytes with_tail = GetParam().bytes;
  with_tail.push_back(0xEE);  // bytes after the integer are not consumed
  ASSERT_EQ(wire::parse_varint(with_tail, value, used), wire::VarintStatus::Ok);
  EXPECT_EQ(value, GetParam().value);
  EXPECT_EQ(used, GetParam().bytes.size());
}

TEST_P(VarintTest, EveryProperPrefixNeedsMore) {
  const Bytes& b = GetParam().bytes;
  for (std::size_t n = 0; n < b.size(); ++n) {
    std::uint32_t value = 0;
    std::size_t used = 0;
    EXPECT_EQ(wire::parse_varint(std::span(b).first(n), value, used), wire::VarintStatus::NeedMore);
  }
}

TEST(Varint, FifthByteIsTooLong) {
  std::uint32_t value = 0;
  std::size_t used = 0;
  const Bytes five = {0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
  EXPECT_EQ(wire::parse_varint(five, value, used), wire::VarintStatus::TooLong);
  // Known to be too long as soon as the fourth byte has its continuation bit.
  EXPECT_EQ(wire::parse_varint(std::span(five).first(4), value, used), wire::VarintStatus::TooLong);
}

TEST(Varint, NonMinimalEncodingsAreRejected) {
  std::uint32_t value = 0;
  std::size_t used = 0;
  for (const Bytes& b : {Bytes{0x80, 0x00}, Bytes{0xFF, 0x80, 0x00}, Bytes{0x80, 0x80, 0x80, 0x00},
                         Bytes{0x81, 0x80, 0x00}}) {
    EXPECT_EQ(wire::parse_varint(b, value, used), wire::VarintStatus::NotMinimal) << hex(b);
  }
}

TEST(Reader, ReadsBigEndianIntegers) {
  const Bytes b = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE};
  wire::Reader r(b);
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  ASSERT_TRUE(r.read_u8(u8, "a"));
  ASSERT_TRUE(r.read_u16(u16, "b"));
  ASSERT_TRUE(r.read_u32(u32, "c"));
  EXPECT_EQ(u8, 0x12);
  EXPECT_EQ(u16, 0x3456);
  EXPECT_EQ(u32, 0x789ABCDEU);
  EXPECT_TRUE(r.at_end());
}

TEST(Reader, TruncatedReadFailsWithFieldNameAndKeepsFirstError) {
  const Bytes b = {0x01, 0x02, 0x03};
  wire::Reader r(b);
  std::uint32_t u32 = 0;
  EXPECT_FALSE(r.read_u32(u32, "session expiry"));
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.error().reason, ReasonCode::MalformedPacket);
  EXPECT_EQ(r.error().message, "session expiry is truncated: needs 4 bytes, 3 left");
  std::uint8_t u8 = 0;
  EXPECT_FALSE(r.read_u8(u8, "later"));  // after a failure every read fails...
  EXPECT_EQ(r.error().message, "session expiry is truncated: needs 4 bytes, 3 left");  // ...and the first error stays
}

TEST(Reader, StringsAreLengthPrefixedAndValidated) {
  const Bytes ok = {0x00, 0x03, 'a', 0xC3, 0xA9};  // "a" + U+00E9
  wire::Reader r(ok);
  std::string s;
  ASSERT_TRUE(r.read_string(s, "topic"));
  EXPECT_EQ(s, "a\xC3\xA9");

  const Bytes bad = {0x00, 0x02, 0xC3, 0x28};  // invalid continuation byte
  wire::Reader r2(bad);
  EXPECT_FALSE(r2.read_string(s, "content type"));
  EXPECT_EQ(r2.error().reason, ReasonCode::MalformedPacket);
  EXPECT_EQ(r2.error().message.rfind("content type: ", 0), 0U) << r2.error().message;

  const Bytes bom = {0x00, 0x03, 0xEF, 0xBB, 0xBF};  // U+FEFF is kept, not stripped [MQTT-1.5.4-3]
  wire::Reader r3(bom);
  ASSERT_TRUE(r3.read_string(s, "s"));
  EXPECT_EQ(s.size(), 3U);
}

TEST(Reader, BinaryDataAndRest) {
  const Bytes b = {0x00, 0x02, 0x00, 0xFF, 0x10, 0x20};
  wire::Reader r(b);
  Bytes data;
  ASSERT_TRUE(r.read_binary(data, "correlation data"));
  EXPECT_EQ(hex(data), "00 ff");
  Bytes rest;
  r.read_rest(rest);
  EXPECT_EQ(hex(rest), "10 20");
  EXPECT_TRUE(r.at_end());

  const Bytes short_binary = {0x00, 0x05, 0x01};
  wire::Reader r2(short_binary);
  EXPECT_FALSE(r2.read_binary(data, "password"));
  EXPECT_EQ(r2.error().message, "password is truncated: needs 5 bytes, 1 left");
}

TEST(Reader, BlockCannotOverrunItsParent) {
  const Bytes b = {0x01, 0x02, 0x03};
  wire::Reader r(b);
  wire::Reader block(std::span<const std::uint8_t>{});
  ASSERT_TRUE(r.read_block(2, block, "property length"));
  EXPECT_EQ(block.remaining(), 2U);
  EXPECT_EQ(r.remaining(), 1U);
  std::uint32_t u32 = 0;
  EXPECT_FALSE(block.read_u32(u32, "x"));  // the block ends where it says, not where the parent does
  EXPECT_FALSE(r.read_block(2, block, "property length"));
  EXPECT_EQ(r.error().message, "property length of 2 bytes overruns the packet (1 bytes left)");
}

TEST(Writer, CountingAndWritingAgree) {
  wire::Writer counter;
  auto write_all = [](wire::Writer& w) {
    w.u8(0x01);
    w.u16(0x0203);
    w.u32(0x04050607);
    w.varint(200);
    w.string("ab");
    w.binary(Bytes{0xFF});
    w.raw(Bytes{0xAA});
  };
  write_all(counter);
  Bytes out(counter.size());
  wire::Writer w(out.data());
  write_all(w);
  EXPECT_EQ(w.size(), counter.size());
  EXPECT_EQ(hex(out), "01 02 03 04 05 06 07 c8 01 00 02 61 62 00 01 ff aa");
}

TEST(HexByte, FormatsIdentifiers) {
  EXPECT_EQ(wire::hex_byte(0x05), "0x05");
  EXPECT_EQ(wire::hex_byte(0xA2), "0xA2");
  EXPECT_EQ(wire::hex_byte(0x100), "0x0100");
}

// ---------------------------------------------------------------- names

TEST(Names, ReasonCodes) {
  EXPECT_EQ(reason_code_name(0x81), "Malformed Packet");
  EXPECT_EQ(reason_code_name(0x82), "Protocol Error");
  EXPECT_EQ(reason_code_name(0x95), "Packet too large");
  EXPECT_EQ(reason_code_name(0x00), "Success");
  EXPECT_EQ(reason_code_name(0xA2), "Wildcard Subscriptions not supported");
  EXPECT_EQ(reason_code_name(0x03), "Unknown reason code");
  // Every code the enum names has a name of its own.
  for (int code : {0x01, 0x02, 0x04, 0x10, 0x11, 0x18, 0x19, 0x80, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A,
                   0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x91, 0x92, 0x93, 0x94, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B,
                   0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1}) {
    EXPECT_NE(reason_code_name(static_cast<std::uint8_t>(code)), "Unknown reason code") << code;
  }
}

TEST(Names, PacketTypes) {
  EXPECT_EQ(packet_type_name(0), "RESERVED");
  EXPECT_EQ(packet_type_name(1), "CONNECT");
  EXPECT_EQ(packet_type_name(3), "PUBLISH");
  EXPECT_EQ(packet_type_name(11), "UNSUBACK");
  EXPECT_EQ(packet_type_name(15), "AUTH");
  EXPECT_EQ(packet_type_name(16), "RESERVED");
}

TEST(Names, Properties) {
  EXPECT_EQ(property_name(0x23), "Topic Alias");
  EXPECT_EQ(property_name(0x26), "User Property");
  EXPECT_EQ(property_name(0x2A), "Shared Subscription Available");
  EXPECT_EQ(property_name(0x04), "Unknown Property");
}

TEST(Connack311, ReturnCodesMapToV5Reasons) {
  EXPECT_EQ(reason_from_311_connack(0), ReasonCode::Success);
  EXPECT_EQ(reason_from_311_connack(1), ReasonCode::UnsupportedProtocolVersion);
  EXPECT_EQ(reason_from_311_connack(2), ReasonCode::ClientIdentifierNotValid);
  EXPECT_EQ(reason_from_311_connack(3), ReasonCode::ServerUnavailable);
  EXPECT_EQ(reason_from_311_connack(4), ReasonCode::BadUserNameOrPassword);
  EXPECT_EQ(reason_from_311_connack(5), ReasonCode::NotAuthorized);
  EXPECT_EQ(reason_from_311_connack(6), ReasonCode::UnspecifiedError);
}

TEST(PropertiesEmpty, AnySetFieldMakesItNonEmpty) {
  Properties p;
  EXPECT_TRUE(p.empty());
  p.user_properties.push_back({"a", "b"});
  EXPECT_FALSE(p.empty());
  Properties q;
  q.subscription_identifiers.push_back(1);
  EXPECT_FALSE(q.empty());
  Properties r;
  r.payload_format_indicator = 0;  // present, even with value 0
  EXPECT_FALSE(r.empty());
}

// ---------------------------------------------------------------- payload format

TEST(PayloadFormat, CheckedOnlyWhenIndicatorIsOne) {
  Publish p{false, QoS::AtMostOnce, false, "t", 0, {}, Bytes{0xFF, 0xFE}};
  EXPECT_TRUE(check_payload_format(p).ok());  // no indicator: bytes
  p.properties.payload_format_indicator = 0;
  EXPECT_TRUE(check_payload_format(p).ok());
  p.properties.payload_format_indicator = 1;
  Status s = check_payload_format(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, ReasonCode::PayloadFormatInvalid);
  EXPECT_NE(s.error().message.find("Payload Format Indicator is 1"), std::string::npos);
}

TEST(PayloadFormat, NulAndLongTextAreFineMultiByteAcrossPiecesToo) {
  Publish p{false, QoS::AtMostOnce, false, "t", 0, {}, {}};
  p.properties.payload_format_indicator = 1;
  // U+0000 is well-formed character data (only UTF-8 *strings* forbid it).
  p.payload = Bytes{'a', 0x00, 'b'};
  EXPECT_TRUE(check_payload_format(p).ok());
  // 200,000 bytes of 3-byte characters: longer than one string, and pieces
  // must not split a character.
  p.payload.clear();
  for (int i = 0; i < 66'667; ++i) p.payload.insert(p.payload.end(), {0xE2, 0x82, 0xAC});  // U+20AC
  EXPECT_TRUE(check_payload_format(p).ok());
  p.payload.push_back(0xE2);  // a truncated sequence at the very end
  EXPECT_FALSE(check_payload_format(p).ok());
  p.payload.pop_back();
  p.payload[100'000] = 0xC0;  // an invalid byte in the middle
  EXPECT_FALSE(check_payload_format(p).ok());
}

}  // namespace
