// Golden vectors: annotated bytes per packet family, for MQTT 3.1.1 and 5.0.
// Each vector is decoded (== expected packet), encoded (== bytes), round
// tripped, and decoded again from a stream fed one byte at a time and in
// random splits; every proper prefix must be "incomplete", never a packet.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "codec_test_util.hpp"
#include "mqtt/codec.hpp"

namespace {

using namespace tpgate::mqtt;
using codec_test::bytes_of;
using codec_test::hex;

constexpr auto v311 = ProtocolVersion::v311;
constexpr auto v5 = ProtocolVersion::v5;

struct Golden {
  std::string name;
  ProtocolVersion version;
  Packet packet;
  Bytes bytes;
};

void PrintTo(const Golden& g, std::ostream* os) { *os << g.name << " [" << hex(g.bytes) << "]"; }

std::string golden_name(const testing::TestParamInfo<Golden>& info) { return info.param.name; }

// ---------------------------------------------------------------- CONNECT / CONNACK

std::vector<Golden> connect_vectors() {
  std::vector<Golden> v;

  Connect minimal311;
  minimal311.version = v311;
  minimal311.client_id = "c1";
  v.push_back({"v311_connect_minimal", v311, minimal311,
               {
                   0x10, 0x0E,                     // CONNECT, remaining length 14
                   0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                   0x04,                           // protocol level 4 (3.1.1)
                   0x02,                           // flags: clean session
                   0x00, 0x3C,                     // keep alive 60 s
                   0x00, 0x02, 'c', '1',           // client identifier "c1"
               }});

  Connect full311;
  full311.version = v311;
  full311.clean_start = false;
  full311.keep_alive = 0x1234;
  full311.client_id = "id";
  full311.will = Will{"w/t", bytes_of("bye"), QoS::AtLeastOnce, true, {}};
  full311.username = "u";
  full311.password = bytes_of("p");
  v.push_back({"v311_connect_will_user_password", v311, full311,
               {
                   0x10, 0x1E,                     // CONNECT, remaining length 30
                   0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                   0x04,                           // level 4
                   0xEC,                           // user name, password, will retain, will QoS 1, will
                   0x12, 0x34,                     // keep alive 4660 s
                   0x00, 0x02, 'i', 'd',           // client identifier
                   0x00, 0x03, 'w', '/', 't',      // will topic
                   0x00, 0x03, 'b', 'y', 'e',      // will payload
                   0x00, 0x01, 'u',                // user name
                   0x00, 0x01, 'p',                // password
               }});

  Connect empty_id311;
  empty_id311.version = v311;
  empty_id311.keep_alive = 0;
  v.push_back({"v311_connect_empty_client_id", v311, empty_id311,
               {
                   0x10, 0x0C,                     // CONNECT, remaining length 12
                   0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                   0x04, 0x02,                     // level 4, clean session
                   0x00, 0x00,                     // keep alive off
                   0x00, 0x00,                     // empty client identifier
               }});

  Connect minimal5;
  minimal5.client_id = "c1";
  v.push_back({"v5_connect_minimal", v5, minimal5,
               {
                   0x10, 0x0F,                     // CONNECT, remaining length 15
                   0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                   0x05,                           // protocol level 5
                   0x02,                           // clean start
                   0x00, 0x3C,                     // keep alive 60 s
                   0x00,                           // no properties
                   0x00, 0x02, 'c', '1',           // client identifier
               }});

  Connect full5;
  full5.client_id = "v5";
  full5.properties.session_expiry_interval = 3600;
  full5.properties.authentication_method = "PLAIN";
  full5.properties.authentication_data = Bytes{0x01, 0x02};
  full5.properties.request_problem_information = 0;
  full5.properties.request_response_information = 1;
  full5.properties.receive_maximum = 20;
  full5.properties.topic_alias_maximum = 10;
  full5.properties.user_properties = {{"k", "v"}};
  full5.properties.maximum_packet_size = 4096;
  Will will5{"w", bytes_of("x"), QoS::ExactlyOnce, false, {}};
  will5.properties.payload_format_indicator = 1;
  will5.properties.message_expiry_interval = 60;
  will5.properties.content_type = "text";
  will5.properties.response_topic = "r/t";
  will5.properties.correlation_data = Bytes{0xAB, 0xCD};
  will5.properties.will_delay_interval = 5;
  will5.properties.user_properties = {{"a", "b"}};
  full5.will = will5;
  full5.username = "user";
  full5.password = Bytes{0x00, 0xFF};
  v.push_back({"v5_connect_all_properties_and_will", v5, full5,
               {
                   0x10, 0x6D,                              // CONNECT, remaining length 109
                   0x00, 0x04, 'M', 'Q', 'T', 'T',          // protocol name
                   0x05,                                    // level 5
                   0xD6,                                    // user name, password, will QoS 2, will, clean start
                   0x00, 0x3C,                              // keep alive 60 s
                   0x28,                                    // properties: 40 bytes
                   0x11, 0x00, 0x00, 0x0E, 0x10,            //   Session Expiry Interval 3600
                   0x15, 0x00, 0x05, 'P', 'L', 'A', 'I', 'N',  //   Authentication Method
                   0x16, 0x00, 0x02, 0x01, 0x02,            //   Authentication Data
                   0x17, 0x00,                              //   Request Problem Information 0
                   0x19, 0x01,                              //   Request Response Information 1
                   0x21, 0x00, 0x14,                        //   Receive Maximum 20
                   0x22, 0x00, 0x0A,                        //   Topic Alias Maximum 10
                   0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  //   User Property k=v
                   0x27, 0x00, 0x00, 0x10, 0x00,            //   Maximum Packet Size 4096
                   0x00, 0x02, 'v', '5',                    // client identifier
                   0x25,                                    // will properties: 37 bytes
                   0x01, 0x01,                              //   Payload Format Indicator 1
                   0x02, 0x00, 0x00, 0x00, 0x3C,            //   Message Expiry Interval 60
                   0x03, 0x00, 0x04, 't', 'e', 'x', 't',    //   Content Type
                   0x08, 0x00, 0x03, 'r', '/', 't',         //   Response Topic
                   0x09, 0x00, 0x02, 0xAB, 0xCD,            //   Correlation Data
                   0x18, 0x00, 0x00, 0x00, 0x05,            //   Will Delay Interval 5
                   0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b',  //   User Property a=b
                   0x00, 0x01, 'w',                         // will topic
                   0x00, 0x01, 'x',                         // will payload
                   0x00, 0x04, 'u', 's', 'e', 'r',          // user name
                   0x00, 0x02, 0x00, 0xFF,                  // password (binary)
               }});

  Connect password_only5;
  password_only5.client_id = "p";
  password_only5.password = bytes_of("pw");
  v.push_back({"v5_connect_password_without_user_name", v5, password_only5,
               {
                   0x10, 0x12,                     // CONNECT, remaining length 18
                   0x00, 0x04, 'M', 'Q', 'T', 'T',  // protocol name
                   0x05, 0x42,                     // level 5; password, clean start (allowed in v5)
                   0x00, 0x3C,                     // keep alive
                   0x00,                           // no properties
                   0x00, 0x01, 'p',                // client identifier
                   0x00, 0x02, 'p', 'w',           // password
               }});
  return v;
}

std::vector<Golden> connack_vectors() {
  std::vector<Golden> v;
  v.push_back({"v311_connack_session_present", v311, ConnAck{true, 0, {}},
               {
                   0x20, 0x02,  // CONNACK, remaining length 2
                   0x01,        // session present
                   0x00,        // return code 0: accepted
               }});
  v.push_back({"v311_connack_not_authorized", v311, ConnAck{false, 5, {}},
               {
                   0x20, 0x02,  // CONNACK
                   0x00,        // no session
                   0x05,        // return code 5: not authorized
               }});
  v.push_back({"v5_connack_success", v5, ConnAck{false, 0, {}},
               {
                   0x20, 0x03,  // CONNACK, remaining length 3
                   0x00,        // no session
                   0x00,        // Success
                   0x00,        // no properties
               }});

  ConnAck all;
  all.session_present = true;
  Properties& p = all.properties;
  p.session_expiry_interval = 0xFFFFFFFF;
  p.assigned_client_identifier = "abc";
  p.server_keep_alive = 30;
  p.authentication_method = "M";
  p.authentication_data = Bytes{0x01};
  p.response_information = "ri";
  p.server_reference = "srv";
  p.reason_string = "ok";
  p.receive_maximum = 10;
  p.topic_alias_maximum = 5;
  p.maximum_qos = 1;
  p.retain_available = 0;
  p.user_properties = {{"x", "y"}};
  p.maximum_packet_size = 65536;
  p.wildcard_subscription_available = 0;
  p.subscription_identifier_available = 1;
  p.shared_subscription_available = 0;
  v.push_back({"v5_connack_all_properties", v5, all,
               {
                   0x20, 0x45,                              // CONNACK, remaining length 69
                   0x01,                                    // session present
                   0x00,                                    // Success
                   0x42,                                    // properties: 66 bytes
                   0x11, 0xFF, 0xFF, 0xFF, 0xFF,            //   Session Expiry Interval: never
                   0x12, 0x00, 0x03, 'a', 'b', 'c',         //   Assigned Client Identifier
                   0x13, 0x00, 0x1E,                        //   Server Keep Alive 30
                   0x15, 0x00, 0x01, 'M',                   //   Authentication Method
                   0x16, 0x00, 0x01, 0x01,                  //   Authentication Data
                   0x1A, 0x00, 0x02, 'r', 'i',              //   Response Information
                   0x1C, 0x00, 0x03, 's', 'r', 'v',         //   Server Reference
                   0x1F, 0x00, 0x02, 'o', 'k',              //   Reason String
                   0x21, 0x00, 0x0A,                        //   Receive Maximum 10
                   0x22, 0x00, 0x05,                        //   Topic Alias Maximum 5
                   0x24, 0x01,                              //   Maximum QoS 1
                   0x25, 0x00,                              //   Retain Available 0
                   0x26, 0x00, 0x01, 'x', 0x00, 0x01, 'y',  //   User Property x=y
                   0x27, 0x00, 0x01, 0x00, 0x00,            //   Maximum Packet Size 65536
                   0x28, 0x00,                              //   Wildcard Subscription Available 0
                   0x29, 0x01,                              //   Subscription Identifier Available 1
                   0x2A, 0x00,                              //   Shared Subscription Available 0
               }});

  ConnAck refused{false, 0x86, {}};
  refused.properties.reason_string = "bad";
  v.push_back({"v5_connack_refused_with_reason_string", v5, refused,
               {
                   0x20, 0x09,                         // CONNACK, remaining length 9
                   0x00,                               // no session
                   0x86,                               // Bad User Name or Password
                   0x06,                               // properties: 6 bytes
                   0x1F, 0x00, 0x03, 'b', 'a', 'd',    //   Reason String
               }});
  return v;
}

// ---------------------------------------------------------------- PUBLISH

std::vector<Golden> publish_vectors() {
  std::vector<Golden> v;
  v.push_back({"v311_publish_qos0", v311, Publish{false, QoS::AtMostOnce, false, "a/b", 0, {}, bytes_of("hi")},
               {
                   0x30, 0x07,                  // PUBLISH, QoS 0, remaining length 7
                   0x00, 0x03, 'a', '/', 'b',   // topic name
                   'h', 'i',                    // payload
               }});
  v.push_back({"v311_publish_qos1_dup_retain", v311,
               Publish{true, QoS::AtLeastOnce, true, "t", 0x0102, {}, Bytes{0x00, 0x01, 0x02}},
               {
                   0x3B, 0x08,         // PUBLISH, DUP, QoS 1, RETAIN; remaining length 8
                   0x00, 0x01, 't',    // topic name
                   0x01, 0x02,         // packet identifier 258
                   0x00, 0x01, 0x02,   // payload
               }});
  v.push_back({"v311_publish_qos2_empty_payload", v311,
               Publish{false, QoS::ExactlyOnce, false, "x/y", 0xFFFF, {}, {}},
               {
                   0x34, 0x07,                  // PUBLISH, QoS 2, remaining length 7
                   0x00, 0x03, 'x', '/', 'y',   // topic name
                   0xFF, 0xFF,                  // packet identifier 65535
               }});
  v.push_back({"v5_publish_qos0", v5, Publish{false, QoS::AtMostOnce, false, "t", 0, {}, bytes_of("p")},
               {
                   0x30, 0x05,        // PUBLISH, QoS 0, remaining length 5
                   0x00, 0x01, 't',   // topic name
                   0x00,              // no properties
                   'p',               // payload
               }});

  Publish all{false, QoS::AtLeastOnce, false, "s/1", 7, {}, bytes_of("{}")};
  Properties& p = all.properties;
  p.payload_format_indicator = 1;
  p.message_expiry_interval = 256;
  p.content_type = "text/plain";
  p.response_topic = "reply";
  p.correlation_data = Bytes{1, 2, 3};
  p.subscription_identifiers = {1, 268'435'455};
  p.topic_alias = 7;
  p.user_properties = {{"a", "1"}, {"a", "2"}};
  v.push_back({"v5_publish_all_properties", v5, all,
               {
                   0x32, 0x44,                                    // PUBLISH, QoS 1, remaining length 68
                   0x00, 0x03, 's', '/', '1',                     // topic name
                   0x00, 0x07,                                    // packet identifier 7
                   0x3A,                                          // properties: 58 bytes
                   0x01, 0x01,                                    //   Payload Format Indicator: UTF-8
                   0x02, 0x00, 0x00, 0x01, 0x00,                  //   Message Expiry Interval 256
                   0x03, 0x00, 0x0A, 't', 'e', 'x', 't', '/', 'p', 'l', 'a', 'i', 'n',  //   Content Type
                   0x08, 0x00, 0x05, 'r', 'e', 'p', 'l', 'y',     //   Response Topic
                   0x09, 0x00, 0x03, 0x01, 0x02, 0x03,            //   Correlation Data
                   0x0B, 0x01,                                    //   Subscription Identifier 1
                   0x0B, 0xFF, 0xFF, 0xFF, 0x7F,                  //   Subscription Identifier 268435455
                   0x23, 0x00, 0x07,                              //   Topic Alias 7
                   0x26, 0x00, 0x01, 'a', 0x00, 0x01, '1',        //   User Property a=1
                   0x26, 0x00, 0x01, 'a', 0x00, 0x01, '2',        //   User Property a=2 (repeats allowed)
                   '{', '}',                                      // payload
               }});

  Publish aliased{false, QoS::AtMostOnce, false, "", 0, {}, bytes_of("z")};
  aliased.properties.topic_alias = 1;
  v.push_back({"v5_publish_empty_topic_with_alias", v5, aliased,
               {
                   0x30, 0x07,        // PUBLISH, QoS 0, remaining length 7
                   0x00, 0x00,        // empty topic name: the alias names it
                   0x03,              // properties: 3 bytes
                   0x23, 0x00, 0x01,  //   Topic Alias 1
                   'z',               // payload
               }});

  Publish big{false, QoS::AtMostOnce, true, "big", 0, {}, Bytes(200, 0x55)};
  v.push_back({"v5_publish_two_byte_remaining_length", v5, big,
               codec_test::concat({{
                                       0x31,                   // PUBLISH, QoS 0, RETAIN
                                       0xCE, 0x01,             // remaining length 206 (0x4E + 1 * 128)
                                       0x00, 0x03, 'b', 'i', 'g',  // topic name
                                       0x00,                   // no properties
                                   },
                                   Bytes(200, 0x55)})});  // payload: 200 bytes
  return v;
}

// ---------------------------------------------------------------- PUBACK .. PUBCOMP

std::vector<Golden> pub_response_vectors() {
  std::vector<Golden> v;
  v.push_back({"v311_puback", v311, PubAck{1, 0, {}}, {0x40, 0x02, 0x00, 0x01}});    // PUBACK, id 1
  v.push_back({"v311_pubrec", v311, PubRec{2, 0, {}}, {0x50, 0x02, 0x00, 0x02}});    // PUBREC, id 2
  v.push_back({"v311_pubrel", v311, PubRel{3, 0, {}}, {0x62, 0x02, 0x00, 0x03}});    // PUBREL (flags 0010), id 3
  v.push_back({"v311_pubcomp", v311, PubComp{4, 0, {}}, {0x70, 0x02, 0x00, 0x04}});  // PUBCOMP, id 4
  v.push_back({"v5_puback_short_form", v5, PubAck{1, 0, {}},
               {
                   0x40, 0x02,  // PUBACK, remaining length 2: Success, no properties
                   0x00, 0x01,  // packet identifier
               }});
  v.push_back({"v5_puback_reason_only", v5, PubAck{1, 0x10, {}},
               {
                   0x40, 0x03,  // PUBACK, remaining length 3: no properties
                   0x00, 0x01,  // packet identifier
                   0x10,        // No matching subscribers
               }});
  PubRec rec{5, 0x80, {}};
  rec.properties.reason_string = "no";
  rec.properties.user_properties = {{"k", "v"}};
  v.push_back({"v5_pubrec_reason_and_properties", v5, rec,
               {
                   0x50, 0x10,                              // PUBREC, remaining length 16
                   0x00, 0x05,                              // packet identifier
                   0x80,                                    // Unspecified error
                   0x0C,                                    // properties: 12 bytes
                   0x1F, 0x00, 0x02, 'n', 'o',              //   Reason String
                   0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  //   User Property
               }});
  v.push_back({"v5_pubrel_identifier_not_found", v5, PubRel{3, 0x92, {}},
               {
                   0x62, 0x03,  // PUBREL, remaining length 3
                   0x00, 0x03,  // packet identifier
                   0x92,        // Packet Identifier not found
               }});
  PubComp comp{4, 0, {}};
  comp.properties.reason_string = "x";
  v.push_back({"v5_pubcomp_success_with_reason_string", v5, comp,
               {
                   0x70, 0x08,              // PUBCOMP, remaining length 8
                   0x00, 0x04,              // packet identifier
                   0x00,                    // Success (needed: properties follow)
                   0x04,                    // properties: 4 bytes
                   0x1F, 0x00, 0x01, 'x',   //   Reason String
               }});
  return v;
}

// ---------------------------------------------------------------- SUBSCRIBE / SUBACK

std::vector<Golden> subscribe_vectors() {
  std::vector<Golden> v;
  Subscribe one311;
  one311.packet_id = 10;
  one311.subscriptions = {Subscription{"a/#", QoS::AtLeastOnce, false, false, 0}};
  v.push_back({"v311_subscribe_one", v311, one311,
               {
                   0x82, 0x08,                  // SUBSCRIBE (flags 0010), remaining length 8
                   0x00, 0x0A,                  // packet identifier 10
                   0x00, 0x03, 'a', '/', '#',   // topic filter
                   0x01,                        // requested QoS 1
               }});
  Subscribe two311;
  two311.packet_id = 11;
  two311.subscriptions = {Subscription{"a", QoS::AtMostOnce, false, false, 0},
                          Subscription{"+/b", QoS::ExactlyOnce, false, false, 0}};
  v.push_back({"v311_subscribe_two", v311, two311,
               {
                   0x82, 0x0C,                  // SUBSCRIBE, remaining length 12
                   0x00, 0x0B,                  // packet identifier 11
                   0x00, 0x01, 'a', 0x00,       // "a", QoS 0
                   0x00, 0x03, '+', '/', 'b',   // "+/b"
                   0x02,                        // QoS 2
               }});
  v.push_back({"v311_suback", v311, SubAck{11, {}, {0x00, 0x02, 0x80}},
               {
                   0x90, 0x05,        // SUBACK, remaining length 5
                   0x00, 0x0B,        // packet identifier 11
                   0x00, 0x02, 0x80,  // granted QoS 0, granted QoS 2, failure
               }});

  Subscribe all5;
  all5.packet_id = 16;
  all5.properties.subscription_identifiers = {10};
  all5.properties.user_properties = {{"u", "p"}};
  all5.subscriptions = {Subscription{"a/b", QoS::AtLeastOnce, true, true, 2},
                        Subscription{"$share/g/c", QoS::ExactlyOnce, false, false, 1}};
  v.push_back({"v5_subscribe_options_and_properties", v5, all5,
               {
                   0x82, 0x1F,                              // SUBSCRIBE, remaining length 31
                   0x00, 0x10,                              // packet identifier 16
                   0x09,                                    // properties: 9 bytes
                   0x0B, 0x0A,                              //   Subscription Identifier 10
                   0x26, 0x00, 0x01, 'u', 0x00, 0x01, 'p',  //   User Property
                   0x00, 0x03, 'a', '/', 'b',               // topic filter
                   0x2D,                                    // retain handling 2, RAP, no local, QoS 1
                   0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'c',  // shared subscription
                   0x12,                                    // retain handling 1, QoS 2
               }});
  SubAck ack5{16, {}, {0x00, 0x01, 0x02, 0x9E}};
  ack5.properties.reason_string = "r";
  v.push_back({"v5_suback_with_reason_string", v5, ack5,
               {
                   0x90, 0x0B,              // SUBACK, remaining length 11
                   0x00, 0x10,              // packet identifier 16
                   0x04,                    // properties: 4 bytes
                   0x1F, 0x00, 0x01, 'r',   //   Reason String
                   0x00, 0x01, 0x02, 0x9E,  // QoS 0, 1, 2, Shared Subscriptions not supported
               }});
  v.push_back({"v5_suback_no_properties", v5, SubAck{1, {}, {0x02}},
               {
                   0x90, 0x04,  // SUBACK, remaining length 4
                   0x00, 0x01,  // packet identifier
                   0x00,        // no properties
                   0x02,        // Granted QoS 2
               }});
  return v;
}

// ---------------------------------------------------------------- UNSUBSCRIBE / UNSUBACK

std::vector<Golden> unsubscribe_vectors() {
  std::vector<Golden> v;
  v.push_back({"v311_unsubscribe_two", v311, Unsubscribe{5, {}, {"a", "+/#"}},
               {
                   0xA2, 0x0A,                  // UNSUBSCRIBE (flags 0010), remaining length 10
                   0x00, 0x05,                  // packet identifier 5
                   0x00, 0x01, 'a',             // topic filter
                   0x00, 0x03, '+', '/', '#',   // topic filter
               }});
  v.push_back({"v311_unsuback", v311, UnsubAck{5, {}, {}}, {0xB0, 0x02, 0x00, 0x05}});  // UNSUBACK, id 5
  Unsubscribe un5{6, {}, {"a"}};
  un5.properties.user_properties = {{"k", "v"}};
  v.push_back({"v5_unsubscribe_with_user_property", v5, un5,
               {
                   0xA2, 0x0D,                              // UNSUBSCRIBE, remaining length 13
                   0x00, 0x06,                              // packet identifier 6
                   0x07,                                    // properties: 7 bytes
                   0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v',  //   User Property
                   0x00, 0x01, 'a',                         // topic filter
               }});
  v.push_back({"v5_unsuback", v5, UnsubAck{6, {}, {0x00, 0x11}},
               {
                   0xB0, 0x05,  // UNSUBACK, remaining length 5
                   0x00, 0x06,  // packet identifier
                   0x00,        // no properties
                   0x00, 0x11,  // Success, No subscription existed
               }});
  UnsubAck err5{7, {}, {0x80}};
  err5.properties.reason_string = "e";
  v.push_back({"v5_unsuback_with_reason_string", v5, err5,
               {
                   0xB0, 0x08,             // UNSUBACK, remaining length 8
                   0x00, 0x07,             // packet identifier
                   0x04,                   // properties: 4 bytes
                   0x1F, 0x00, 0x01, 'e',  //   Reason String
                   0x80,                   // Unspecified error
               }});
  return v;
}

// ---------------------------------------------------------------- PINGREQ / PINGRESP

std::vector<Golden> ping_vectors() {
  return {
      {"v311_pingreq", v311, PingReq{}, {0xC0, 0x00}},    // PINGREQ, remaining length 0
      {"v311_pingresp", v311, PingResp{}, {0xD0, 0x00}},  // PINGRESP
      {"v5_pingreq", v5, PingReq{}, {0xC0, 0x00}},
      {"v5_pingresp", v5, PingResp{}, {0xD0, 0x00}},
  };
}

// ---------------------------------------------------------------- DISCONNECT

std::vector<Golden> disconnect_vectors() {
  std::vector<Golden> v;
  v.push_back({"v311_disconnect", v311, Disconnect{}, {0xE0, 0x00}});  // DISCONNECT, no body
  v.push_back({"v5_disconnect_short_form", v5, Disconnect{}, {0xE0, 0x00}});  // Normal disconnection
  v.push_back({"v5_disconnect_with_will", v5, Disconnect{0x04, {}},
               {
                   0xE0, 0x01,  // DISCONNECT, remaining length 1: no properties
                   0x04,        // Disconnect with Will Message
               }});
  Disconnect taken{0x8E, {}};
  taken.properties.session_expiry_interval = 0;
  taken.properties.server_reference = "s";
  taken.properties.reason_string = "r";
  v.push_back({"v5_disconnect_with_properties", v5, taken,
               {
                   0xE0, 0x0F,                    // DISCONNECT, remaining length 15
                   0x8E,                          // Session taken over
                   0x0D,                          // properties: 13 bytes
                   0x11, 0x00, 0x00, 0x00, 0x00,  //   Session Expiry Interval 0
                   0x1C, 0x00, 0x01, 's',         //   Server Reference
                   0x1F, 0x00, 0x01, 'r',         //   Reason String
               }});
  return v;
}

// ---------------------------------------------------------------- AUTH (v5 only)

std::vector<Golden> auth_vectors() {
  std::vector<Golden> v;
  v.push_back({"v5_auth_short_form", v5, Auth{}, {0xF0, 0x00}});  // AUTH, Success, no properties
  Auth cont{0x18, {}};
  cont.properties.authentication_method = "SCRAM";
  cont.properties.authentication_data = Bytes{1, 2, 3};
  cont.properties.reason_string = "c";
  v.push_back({"v5_auth_continue", v5, cont,
               {
                   0xF0, 0x14,                              // AUTH, remaining length 20
                   0x18,                                    // Continue authentication
                   0x12,                                    // properties: 18 bytes
                   0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M',  //   Authentication Method
                   0x16, 0x00, 0x03, 0x01, 0x02, 0x03,      //   Authentication Data
                   0x1F, 0x00, 0x01, 'c',                   //   Reason String
               }});
  Auth re{0x19, {}};
  re.properties.authentication_method = "M";
  v.push_back({"v5_auth_reauthenticate", v5, re,
               {
                   0xF0, 0x06,             // AUTH, remaining length 6
                   0x19,                   // Re-authenticate
                   0x04,                   // properties: 4 bytes
                   0x15, 0x00, 0x01, 'M',  //   Authentication Method
               }});
  return v;
}

// ---------------------------------------------------------------- the tests

class GoldenTest : public testing::TestWithParam<Golden> {
 protected:
  DecoderOptions decoder_options() const {
    DecoderOptions options;
    options.version = GetParam().version;
    return options;
  }
  EncodeOptions encode_options() const {
    EncodeOptions options;
    options.version = GetParam().version;
    return options;
  }
};

TEST_P(GoldenTest, DecodesToExpectedPacket) {
  const Golden& g = GetParam();
  Result<Packet> decoded = decode_packet(g.bytes, decoder_options());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(packet_type(*decoded), packet_type(g.packet));
  EXPECT_TRUE(*decoded == g.packet);
}

TEST_P(GoldenTest, EncodesToExpectedBytes) {
  const Golden& g = GetParam();
  Bytes out;
  Status s = encode(g.packet, encode_options(), out);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(hex(out), hex(g.bytes));
}

TEST_P(GoldenTest, EncodeAppendsAndSizesAgree) {
  const Golden& g = GetParam();
  Bytes out = {0xAA, 0xBB};  // encode() appends after what is there
  ASSERT_TRUE(encode(g.packet, encode_options(), out).ok());
  EXPECT_EQ(hex(out), hex(codec_test::concat({{0xAA, 0xBB}, g.bytes})));

  Result<std::size_t> size = encoded_size(g.packet, encode_options());
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, g.bytes.size());

  Bytes buffer(g.bytes.size() + 3, 0xEE);
  Result<std::size_t> written = encode_into(g.packet, encode_options(), buffer);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(*written, g.bytes.size());
  EXPECT_EQ(hex(std::span(buffer).first(*written)), hex(g.bytes));
  EXPECT_EQ(buffer.back(), 0xEE);  // nothing written past the packet
}

TEST_P(GoldenTest, RoundTrips) {
  const Golden& g = GetParam();
  Result<Packet> decoded = decode_packet(g.bytes, decoder_options());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  Bytes again;
  ASSERT_TRUE(encode(*decoded, encode_options(), again).ok());
  EXPECT_EQ(hex(again), hex(g.bytes));
}

TEST_P(GoldenTest, DecodesFedOneByteAtATime) {
  const Golden& g = GetParam();
  auto result = codec_test::decode_in_chunks(g.bytes, codec_test::one_byte_chunks(g.bytes.size()), decoder_options());
  ASSERT_FALSE(result.failed) << result.error.message;
  ASSERT_EQ(result.packets.size(), 1U);
  EXPECT_TRUE(result.packets[0] == g.packet);
  EXPECT_EQ(result.buffered_at_end, 0U);
}

TEST_P(GoldenTest, DecodesInRandomSplits) {
  const Golden& g = GetParam();
  // Three copies back to back, so splits also fall across packet boundaries.
  const Bytes stream = codec_test::concat({g.bytes, g.bytes, g.bytes});
  for (std::uint32_t seed = 1; seed <= 8; ++seed) {
    auto result = codec_test::decode_in_chunks(stream, codec_test::random_chunks(stream.size(), seed), decoder_options());
    ASSERT_FALSE(result.failed) << "seed " << seed << ": " << result.error.message;
    ASSERT_EQ(result.packets.size(), 3U) << "seed " << seed;
    for (const Packet& p : result.packets) EXPECT_TRUE(p == g.packet) << "seed " << seed;
    EXPECT_EQ(result.buffered_at_end, 0U);
  }
}

TEST_P(GoldenTest, EveryProperPrefixIsIncomplete) {
  const Golden& g = GetParam();
  for (std::size_t n = 0; n < g.bytes.size(); ++n) {
    const std::span<const std::uint8_t> prefix(g.bytes.data(), n);
    // The stream decoder waits for more...
    Decoder decoder(decoder_options());
    decoder.feed(prefix);
    Packet packet;
    Error error;
    EXPECT_EQ(decoder.next(packet, error), Decoder::Status::NeedMore) << "prefix of " << n << " bytes";
    EXPECT_EQ(decoder.buffered(), n);
    // ...while a whole-packet decode calls it malformed.
    Result<Packet> whole = decode_packet(prefix, decoder_options());
    ASSERT_FALSE(whole.ok()) << "prefix of " << n << " bytes";
    EXPECT_EQ(whole.error().reason, ReasonCode::MalformedPacket);
  }
}

INSTANTIATE_TEST_SUITE_P(Connect, GoldenTest, testing::ValuesIn(connect_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(ConnAck, GoldenTest, testing::ValuesIn(connack_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Publish, GoldenTest, testing::ValuesIn(publish_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(PubResponse, GoldenTest, testing::ValuesIn(pub_response_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Subscribe, GoldenTest, testing::ValuesIn(subscribe_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Unsubscribe, GoldenTest, testing::ValuesIn(unsubscribe_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Ping, GoldenTest, testing::ValuesIn(ping_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Disconnect, GoldenTest, testing::ValuesIn(disconnect_vectors()), golden_name);
INSTANTIATE_TEST_SUITE_P(Auth, GoldenTest, testing::ValuesIn(auth_vectors()), golden_name);

// ---------------------------------------------------------------- streams of many packets

std::vector<Golden> all_vectors(ProtocolVersion version) {
  std::vector<Golden> all;
  for (auto family : {connect_vectors, connack_vectors, publish_vectors, pub_response_vectors, subscribe_vectors,
                      unsubscribe_vectors, ping_vectors, disconnect_vectors, auth_vectors}) {
    for (Golden& g : family()) {
      if (g.version == version) all.push_back(std::move(g));
    }
  }
  return all;
}

TEST(GoldenStream, EveryVectorOfAVersionInOneStreamInRandomSplits) {
  for (ProtocolVersion version : {v311, v5}) {
    const std::vector<Golden> vectors = all_vectors(version);
    Bytes stream;
    for (int round = 0; round < 100; ++round) {  // > 8 KiB, so the decoder compacts its buffer
      for (const Golden& g : vectors) stream.insert(stream.end(), g.bytes.begin(), g.bytes.end());
    }
    ASSERT_GT(stream.size(), 8192U);
    DecoderOptions options;
    options.version = version;
    for (std::uint32_t seed : {7U, 42U, 1234U}) {
      auto result = codec_test::decode_in_chunks(stream, codec_test::random_chunks(stream.size(), seed), options);
      ASSERT_FALSE(result.failed) << result.error.message;
      ASSERT_EQ(result.packets.size(), vectors.size() * 100);
      for (std::size_t i = 0; i < result.packets.size(); ++i) {
        EXPECT_TRUE(result.packets[i] == vectors[i % vectors.size()].packet) << vectors[i % vectors.size()].name;
      }
    }
  }
}

TEST(GoldenStream, ConnectSwitchesTheDecoderVersion) {
  // A server decoder starts at v5; a 3.1.1 CONNECT makes the rest 3.1.1, so
  // the following 3.1.1 PUBACK (remaining length 2) and DISCONNECT decode.
  const Golden connect = connect_vectors()[0];
  ASSERT_EQ(connect.version, v311);
  const Bytes stream = codec_test::concat({connect.bytes, {0x40, 0x02, 0x00, 0x01}, {0xE0, 0x00}});
  DecoderOptions options;
  options.role = Role::Server;
  Decoder decoder(options);
  decoder.feed(stream);
  Packet p;
  Error e;
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Packet) << e.message;
  EXPECT_EQ(decoder.version(), v311);
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Packet) << e.message;
  EXPECT_TRUE(p == Packet(PubAck{1, 0, {}}));
  ASSERT_EQ(decoder.next(p, e), Decoder::Status::Packet) << e.message;
  EXPECT_TRUE(std::holds_alternative<Disconnect>(p));
  EXPECT_EQ(decoder.next(p, e), Decoder::Status::NeedMore);
}

TEST(GoldenStream, LargePacketAcrossManyChunks) {
  // A 100 KB payload (3-byte remaining length) fed in 1000-byte chunks after
  // a few small packets: exercises buffer reservation and compaction.
  Publish big{false, QoS::ExactlyOnce, false, "bulk/data", 9, {}, Bytes(100'000, 0)};
  for (std::size_t i = 0; i < big.payload.size(); ++i) big.payload[i] = static_cast<std::uint8_t>(i * 31);
  Bytes stream;
  for (int i = 0; i < 500; ++i) stream.insert(stream.end(), {0xD0, 0x00});  // PINGRESP x 500
  ASSERT_TRUE(encode(big, {}, stream).ok());
  EXPECT_EQ(stream[1000 + 1] & 0x80, 0x80);  // multi-byte remaining length
  auto result = codec_test::decode_in_chunks(stream, std::vector<std::size_t>(stream.size() / 1000 + 1, 1000), {});
  ASSERT_FALSE(result.failed) << result.error.message;
  ASSERT_EQ(result.packets.size(), 501U);
  EXPECT_TRUE(result.packets.back() == Packet(big));
}

TEST(GoldenStream, DecodeV5WithoutPropertiesThenEncodeShortestForm) {
  // A peer may send the long form of a success PUBACK (reason and empty
  // properties); it decodes to the same packet, and is re-encoded short.
  const Bytes long_form = {
      0x40, 0x04,  // PUBACK, remaining length 4
      0x00, 0x09,  // packet identifier 9
      0x00,        // Success
      0x00,        // no properties
  };
  Result<Packet> p = decode_packet(long_form);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(*p == Packet(PubAck{9, 0, {}}));
  Bytes out;
  ASSERT_TRUE(encode(*p, {}, out).ok());
  EXPECT_EQ(hex(out), "40 02 00 09");
}

}  // namespace
