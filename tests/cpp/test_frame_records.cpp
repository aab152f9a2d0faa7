// frame::RecordWriter (src/frame/records.hpp) and the gateway role's frame
// (src/gateway/gateway_frame.hpp): the bytes of the header and of each record
// kind, and the JSON text of every event as JS reads it.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "frame/records.hpp"
#include "gateway/gateway_frame.hpp"
#include "gateway/payload_parse.hpp"

namespace tpgate {
namespace {

using JsonWriter = ::tpgate::json::Writer;
using Value = gateway::json;

// The records of a frame, read back: publications as {"topic","payload","qos","retain"}, JSON
// events as the value of their text.
struct Read {
  double deadline = 0;
  std::vector<Value> records;
};

Read read(const std::uint8_t* at) {
  Read out;
  out.deadline = frame::get<double>(at + 8);
  EXPECT_EQ(at[0], 0);
  EXPECT_EQ(frame::get<std::uint32_t>(at + 4), 0U);
  const auto length = frame::get<std::uint32_t>(at + 16);
  std::size_t o = frame::kHeaderSize;
  while (o < length) {
    if (at[o] == frame::kPublication) {
      const auto tl = frame::get<std::uint32_t>(at + o + 4);
      const auto pl = frame::get<std::uint32_t>(at + o + 8);
      const char* text = reinterpret_cast<const char*>(at + o + 12);
      out.records.push_back(Value{{"topic", std::string(text, tl)}, {"payload", std::string(text + tl, pl)},
                                 {"qos", at[o + 1] & 3}, {"retain", (at[o + 1] & 4) != 0}});
      o += 12 + tl + pl;
    } else if (at[o] == frame::kJsonEvent) {
      const auto n = frame::get<std::uint32_t>(at + o + 4);
      auto value = gateway::parse_json_text(std::string(reinterpret_cast<const char*>(at + o + 8), n));
      EXPECT_TRUE(value.ok());
      if (value) out.records.push_back(*value);
      o += 8 + n;
    } else {
      ADD_FAILURE() << "unexpected record kind " << int{at[o]};
      break;
    }
  }
  EXPECT_EQ(o, length);
  return out;
}

TEST(FrameRecords, HeaderAndRecordBytes) {
  frame::RecordWriter w;
  w.begin();
  w.publication("a/b", "xyz", 2, true);
  w.json_event_with([](JsonWriter& j) { j.begin_object().key("k").string("é\"\n").end_object(); });
  const std::uint8_t* f = w.finish(1234);
  const std::vector<std::uint8_t> pub(f + 24, f + 24 + 18);
  EXPECT_EQ(pub, (std::vector<std::uint8_t>{4, 2 | 4, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 'a', '/', 'b', 'x', 'y', 'z'}));
  EXPECT_EQ(f[42], frame::kJsonEvent);
  const std::string text(reinterpret_cast<const char*>(f + 50), frame::get<std::uint32_t>(f + 46));
  EXPECT_EQ(text, "{\"k\":\"é\\\"\\n\"}");
  EXPECT_EQ(frame::get<std::uint32_t>(f + 16), 50 + text.size());
  EXPECT_EQ(frame::get<double>(f + 8), 1234.0);
  // A new frame starts over; no deadline reads -1.
  w.begin();
  f = w.finish(std::nullopt);
  EXPECT_EQ(frame::get<std::uint32_t>(f + 16), 24U);
  EXPECT_EQ(frame::get<double>(f + 8), -1.0);
}

TEST(FrameRecords, ErrorMembersAsErrorToJs) {
  std::string text;
  {
    JsonWriter w(text);
    w.begin_object();
    frame::error_members(w, mqtt::argument_error("options.qos", "expected 0, 1 or 2"));
    w.end_object();
  }
  const auto v = Value::parse(text);
  EXPECT_EQ(v["kind"], "argument");
  EXPECT_EQ(v["path"], "options.qos");
  EXPECT_EQ(v["message"], "options.qos: expected 0, 1 or 2");
  EXPECT_TRUE(v["code"].is_number());
  EXPECT_TRUE(v["reason"].is_string());
}

class GatewayFrameTest : public ::testing::Test {
 protected:
  static gateway::GatewayRoleOptions options() {
    gateway::GatewayRoleOptions o;
    o.device_number = "gw-1";
    o.ack_timeout_ms = 5'000;
    return o;
  }
  Read frame_of(const gateway::GatewayOutput& out) {
    f.begin();
    f.output(out);
    return read(f.finish(role.next_deadline()));
  }

  gateway::GatewayRole role{options()};
  gateway::GatewayFrame f;
};

TEST_F(GatewayFrameTest, RequestWithItsBodyAsJson) {
  const auto r = frame_of(role.receive(
      "gateway/command/gw-1/42",
      R"({"sub_gateway_data":{"g1":{"sub_device_data":{"s1":{"method":"Go","params":{"t":"é \"q\" \u0001","n":[1,2.5]}}}}}})",
      1000));
  ASSERT_EQ(r.records.size(), 1U);
  EXPECT_EQ(r.records[0], Value::parse(R"({"type":"request","id":1,"kind":"command","messageId":"42",
      "target":{"subGateways":["g1"],"subDevice":"s1"},
      "body":{"method":"Go","params":{"t":"é \"q\" \u0001","n":[1,2.5]}}})"));
  EXPECT_EQ(r.deadline, -1.0);
  // Answered: the response goes out as a publication record.
  auto answer = role.respond(1, gateway::RequestOutcome::success(), 1001);
  ASSERT_TRUE(answer.ok());
  const auto a = frame_of(*answer);
  ASSERT_EQ(a.records.size(), 1U);
  EXPECT_EQ(a.records[0]["topic"], "gateway/command/response/42");
  EXPECT_EQ(Value::parse(a.records[0]["payload"].get<std::string>())["result"], 0);
}

TEST_F(GatewayFrameTest, ReportAckAndTimeout) {
  auto report = role.report_attributes(Value::parse(R"({"gateway_data":{"ip":"10.0.0.1"}})"), 1000);
  ASSERT_TRUE(report.ok());
  f.begin();
  f.report(*report);
  const auto r = read(f.finish(role.next_deadline()));
  ASSERT_EQ(r.records.size(), 2U);
  EXPECT_EQ(r.records[0]["topic"], report->publication.topic);
  EXPECT_EQ(r.records[0]["qos"], 1);
  EXPECT_EQ(r.records[1], (Value{{"type", "report"}, {"messageId", report->message_id}, {"token", *report->token},
                                {"warnings", Value::array()}}));
  EXPECT_EQ(r.deadline, 6000.0);
  const auto acked = frame_of(role.receive("gateway/attributes/response/gw-1/" + report->message_id,
                                           R"({"result":1,"errcode":"E1","message":"no"})", 1200));
  ASSERT_EQ(acked.records.size(), 1U);
  EXPECT_EQ(acked.records[0], (Value{{"type", "reportAcked"}, {"token", *report->token}, {"rttMs", 200},
                                    {"success", false}, {"errcode", "E1"}, {"message", "no"}, {"problem", ""},
                                    {"family", "gateway"}}));
  EXPECT_EQ(acked.deadline, -1.0);

  auto event = role.report_event(Value::parse(R"({"gateway_data":{"method":"Boot","params":{}}})"), 2000);
  ASSERT_TRUE(event.ok());
  const auto timed_out = frame_of(role.tick(7000));
  ASSERT_EQ(timed_out.records.size(), 1U);
  EXPECT_EQ(timed_out.records[0], (Value{{"type", "reportTimedOut"}, {"token", *event->token},
                                        {"kind", "eventReport"}, {"messageId", event->message_id}}));
}

TEST_F(GatewayFrameTest, TelemetryReportHasNullToken) {
  auto report = role.report_telemetry(Value::parse(R"({"gateway_data":{"t":1}})"), 1000);
  ASSERT_TRUE(report.ok());
  f.begin();
  f.report(*report);
  const auto r = read(f.finish(std::nullopt));
  ASSERT_EQ(r.records.size(), 2U);
  EXPECT_TRUE(r.records[1]["token"].is_null());
  EXPECT_EQ(r.records[1]["messageId"], "");
}

TEST_F(GatewayFrameTest, ErrorWarningAndFailure) {
  const auto bad = frame_of(role.receive("gateway/attributes/set/gw-1/9", R"({"gateway_data":5})", 1000));
  Value error;
  for (const auto& rec : bad.records) {
    if (rec.contains("type") && rec["type"] == "error") error = rec;
  }
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error["topic"], "gateway/attributes/set/gw-1/9");
  EXPECT_EQ(error["error"]["kind"], "payload");
  EXPECT_TRUE(error["error"]["path"].is_string());
  EXPECT_TRUE(error["error"]["message"].is_string());

  const auto late = frame_of(role.receive("gateway/attributes/response/gw-1/0000999", R"({"result":0})", 1000));
  ASSERT_EQ(late.records.size(), 1U);
  EXPECT_EQ(late.records[0]["type"], "warning");
  EXPECT_TRUE(late.records[0]["message"].is_string());

  f.begin();
  f.failure(mqtt::argument_error("respond", "the request id must be a non-negative integer"));
  const auto failed = read(f.finish(std::nullopt));
  ASSERT_EQ(failed.records.size(), 1U);
  EXPECT_EQ(failed.records[0]["type"], "failure");
  EXPECT_EQ(failed.records[0]["kind"], "argument");
  EXPECT_EQ(failed.records[0]["path"], "respond");
}

}  // namespace
}  // namespace tpgate
