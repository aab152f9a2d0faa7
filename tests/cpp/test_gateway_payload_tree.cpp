// The payload tree on its own: target names, building in any order, replacing a body.
#include <gtest/gtest.h>

#include <string>

#include "gateway/payload.hpp"

namespace tpgate::gateway {
namespace {

TEST(Target, NamesThePathFromTheTopLevelGateway) {
  EXPECT_EQ(Target{}.to_string(), "gateway");
  EXPECT_TRUE(Target{}.is_gateway());
  EXPECT_EQ((Target{{}, "sensor_001"}).to_string(), "sensor_001");
  EXPECT_EQ((Target{{"gateway_001"}, "sensor_101"}).to_string(), "gateway_001/sensor_101");
  EXPECT_EQ((Target{{"gateway_001", "gateway_002"}, std::nullopt}).to_string(), "gateway_001/gateway_002");
  EXPECT_FALSE((Target{{"gateway_001"}, "sensor_101"}).is_gateway());
}

TEST(GatewayTree, BuildingInAnyOrderGivesTheParsedTree) {
  GatewayNode built;
  put_body(built, Target{{"gw_b"}, "s2"}, json{{"t", 2}});
  put_body(built, Target{{"gw_a"}, std::nullopt}, json{{"t", 1}});
  put_body(built, Target{{}, "z"}, json{{"t", 4}});
  put_body(built, Target{{}, "a"}, json{{"t", 3}});
  put_body(built, Target{{"gw_b"}, "s1"}, json{{"t", 5}});
  const auto parsed = parse_gateway_payload(PayloadKind::Telemetry, to_json(built).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->root, built);
  ASSERT_EQ(built.sub_device_data.size(), 2u);
  EXPECT_EQ(built.sub_device_data[0].address, "a");  // kept in address order
  ASSERT_EQ(built.sub_gateway_data.size(), 2u);
  EXPECT_EQ(built.sub_gateway_data[0].address, "gw_a");
}

TEST(GatewayTree, PutReplacesTheBodyAtATarget) {
  GatewayNode tree = wrap(Target{{"gw"}, "s"}, json{{"t", 1}});
  put_body(tree, Target{{"gw"}, "s"}, json{{"t", 2}});
  EXPECT_EQ(route(tree).size(), 1u);
  EXPECT_EQ(*find_body(tree, Target{{"gw"}, "s"}), json({{"t", 2}}));
}

TEST(GatewayTree, EmptyPartsAreLeftOutOfTheJson) {
  EXPECT_EQ(to_json(GatewayNode{}), json::object());
  EXPECT_TRUE(GatewayNode{}.empty());
  EXPECT_EQ(to_json(wrap(Target{}, json::object())), json::parse(R"({"gateway_data":{}})"));
  EXPECT_FALSE(wrap(Target{}, json::object()).empty());
}

}  // namespace
}  // namespace tpgate::gateway
